import { execFile } from "node:child_process";
import { hostname } from "node:os";
import { promisify } from "node:util";
import { normalizeGitUrl, withoutSecrets } from "@provenant/core";

const run = promisify(execFile);

export interface LocalFacts {
  /** `https://host/path` with credentials stripped; undefined without a remote. */
  repositoryUrl?: string;
  /** Full ref: `refs/heads/<branch>` or `refs/tags/<tag>`; undefined when detached and untagged. */
  ref?: string;
  commit?: string;
  /** Uncommitted changes in tracked files at attest time. */
  dirty: boolean;
  host: string;
  finishedOn: Date;
  cliVersion: string;
}

// Arguments go to git as an argv array: no shell, so nothing in a branch or
// remote name is ever interpreted. The checkout's config and attributes may
// have been written by the build: `core.fsmonitor` would make `git status`
// run a program of its choosing, and so would a clean filter
// (`.gitattributes` `filter=x` + `filter.x.clean`), which git runs to hash a
// changed file. fsmonitor is switched off, every configured filter is
// switched off for the one command that reads the working tree (see
// dirtyState), submodules are not entered, and git never sees the signing key
// or any other secret in the environment. The commands used (rev-parse,
// symbolic-ref, describe, config, remote) run no hooks.
//
// What this cannot stop: a signing key in PROVENANT_SIGNING_KEY is in this
// process's environment, which any process of the same user can read from
// /proc/<pid>/environ while Provenant runs. Keys held by the signing service
// never reach the build (README, security notes).
async function git(cwd: string, args: string[]): Promise<string | undefined> {
  try {
    const { stdout } = await run("git", ["-c", "core.fsmonitor=false", ...args], {
      cwd,
      encoding: "utf8",
      timeout: 10_000,
      env: withoutSecrets(process.env),
    });
    return stdout.trim();
  } catch {
    return undefined;
  }
}

/** Reads the checkout the build ran in: remote, ref, commit, cleanliness. */
export async function localFacts(cwd: string, now: Date, cliVersion: string): Promise<LocalFacts> {
  const commit = await git(cwd, ["rev-parse", "--verify", "HEAD"]);
  if (!commit) return { dirty: false, host: hostname(), finishedOn: now, cliVersion };
  const branchRef = await git(cwd, ["symbolic-ref", "-q", "HEAD"]);
  const tag = branchRef ? undefined : await git(cwd, ["describe", "--tags", "--exact-match", "HEAD"]);
  const ref = branchRef || (tag ? `refs/tags/${tag}` : undefined);
  // The branch's upstream remote when it has one, else origin, else the first.
  const branch = branchRef?.replace(/^refs\/heads\//, "");
  const upstreamRemote = branch ? await git(cwd, ["config", "--get", `branch.${branch}.remote`]) : undefined;
  const remotes = (await git(cwd, ["remote"]))?.split("\n").filter(Boolean) ?? [];
  const remote = [upstreamRemote, "origin", remotes[0]].find((r) => r && remotes.includes(r));
  const remoteUrl = remote ? await git(cwd, ["remote", "get-url", remote]) : undefined;
  const status = await dirtyState(cwd);
  const repositoryUrl = remoteUrl ? normalizeGitUrl(remoteUrl) : undefined;
  return {
    ...(repositoryUrl ? { repositoryUrl } : {}),
    ...(ref ? { ref } : {}),
    commit,
    dirty: status !== undefined && status !== "",
    host: hostname(),
    finishedOn: now,
    cliVersion,
  };
}

/**
 * `git status` with every filter driver the configuration names switched
 * off (an empty command means "no filter" to git), so that no program the
 * checkout configured runs. A driver whose name git's `-c` cannot address
 * (it holds "=") leaves the state unknown, recorded as dirty: never claim a
 * clean tree that was not checked.
 */
async function dirtyState(cwd: string): Promise<string | undefined> {
  const configured = (await git(cwd, ["config", "--get-regexp", "^filter\\..*\\.(clean|smudge|process)$"])) ?? "";
  const names = new Set<string>();
  for (const line of configured.split("\n")) {
    const match = /^filter\.(.+)\.(?:clean|smudge|process)(?:\s|$)/.exec(line);
    if (match) names.add(match[1]!);
  }
  if ([...names].some((name) => name.includes("="))) return "unknown";
  const off = [...names].flatMap((name) => ["-c", `filter.${name}.clean=`, "-c", `filter.${name}.smudge=`, "-c", `filter.${name}.process=`, "-c", `filter.${name}.required=false`]);
  return git(cwd, [...off, "status", "--porcelain", "--untracked-files=no", "--ignore-submodules=all", "--no-renames"]);
}
