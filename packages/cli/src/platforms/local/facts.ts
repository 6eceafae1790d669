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
// remote name is ever interpreted. The checkout's config may have been
// written by the build: `core.fsmonitor` would make `git status` run a
// program of its choosing, so it is switched off, and git never sees the
// signing key or any other secret in the environment.
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
  const status = await git(cwd, ["status", "--porcelain", "--untracked-files=no"]);
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
