import { execFileSync } from "node:child_process";
import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseProvenance, sourceOf } from "@provenant/core";
import { scratch } from "../../test-support.js";
import { localFacts } from "./facts.js";
import { localProvenance } from "./provenance.js";

let dir: string;
let cleanup: () => Promise<void>;
const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, encoding: "utf8" }).trim();

beforeEach(async () => {
  ({ dir, cleanup } = await scratch());
  git("init", "-q", "-b", "main");
  git("config", "user.email", "dev@example.com");
  git("config", "user.name", "Dev");
  await writeFile(join(dir, "README"), "hello");
  git("add", "README");
  git("commit", "-qm", "first");
});
afterEach(() => cleanup());

describe("local platform", () => {
  it("never lets the checkout's config run a program with the signing key in reach", async () => {
    // A build step could write this: git status would run the fsmonitor hook.
    const hook = join(dir, "hook.sh");
    await writeFile(hook, `#!/bin/sh\necho "ran key=$PROVENANT_SIGNING_KEY" >> ${join(dir, "hook.log")}\n`);
    await chmod(hook, 0o755);
    git("config", "core.fsmonitor", hook);
    process.env.PROVENANT_SIGNING_KEY = "-----BEGIN PRIVATE KEY-----";
    try {
      const facts = await localFacts(dir, new Date(), "1.0.0");
      expect(facts.commit).toBe(git("rev-parse", "HEAD"));
      expect(await readFile(join(dir, "hook.log"), "utf8").catch(() => "")).toBe("");
    } finally {
      delete process.env.PROVENANT_SIGNING_KEY;
    }
  });

  it("runs no clean filter the checkout configured, and still sees a changed file", async () => {
    // issue 12 §5: git status ran `filter.x.clean` for a file named in .gitattributes,
    // and that program could read PROVENANT_SIGNING_KEY from the parent's /proc/<pid>/environ.
    const marker = join(dir, "filter-ran");
    await writeFile(join(dir, ".gitattributes"), "*.txt filter=evil\n");
    git("config", "filter.evil.clean", `sh -c 'echo ran >> ${marker}; cat'`);
    git("config", "filter.evil.process", `sh -c 'echo ran >> ${marker}'`);
    git("config", "filter.evil.required", "true");
    await writeFile(join(dir, "notes.txt"), "one");
    git("-c", "filter.evil.clean=", "-c", "filter.evil.process=", "-c", "filter.evil.required=false", "add", ".gitattributes", "notes.txt");
    git("-c", "filter.evil.clean=", "-c", "filter.evil.process=", "-c", "filter.evil.required=false", "commit", "-qm", "notes");
    await writeFile(join(dir, "notes.txt"), "two");
    const facts = await localFacts(dir, new Date(), "1.0.0");
    expect(await readFile(marker, "utf8").catch(() => "")).toBe("");
    expect(facts.dirty).toBe(true);
    // Unchanged content (only the file's time moved) is clean, still without the filter.
    await writeFile(join(dir, "notes.txt"), "one");
    expect((await localFacts(dir, new Date(), "1.0.0")).dirty).toBe(false);
    expect(await readFile(marker, "utf8").catch(() => "")).toBe("");
  });

  it("records the remote without credentials, the branch and the commit", async () => {
    git("remote", "add", "origin", "https://builder:ghp_SECRET123@github.com/acme/app.git");
    const facts = await localFacts(dir, new Date("2026-11-23T10:00:00Z"), "1.0.0");
    const provenance = parseProvenance(localProvenance(facts));
    expect(JSON.stringify(provenance)).not.toContain("ghp_SECRET123");
    expect(sourceOf(provenance)).toEqual({
      uri: "https://github.com/acme/app",
      repository: "github.com/acme/app",
      ref: "refs/heads/main",
      branch: "main",
      commit: git("rev-parse", "HEAD"),
    });
    expect(provenance.buildDefinition.internalParameters).toMatchObject({ dirty: false });
    expect(provenance.runDetails.metadata?.finishedOn).toBe("2026-11-23T10:00:00.000Z");
  });

  it("records a tag on a detached checkout and a dirty tree", async () => {
    git("remote", "add", "origin", "git@gitlab.example.com:acme/app.git");
    git("tag", "v1.2.0");
    git("checkout", "-q", "--detach", "v1.2.0");
    await writeFile(join(dir, "README"), "changed");
    const provenance = localProvenance(await localFacts(dir, new Date(), "1.0.0"));
    expect(provenance.buildDefinition.resolvedDependencies?.[0]?.uri).toBe("git+https://gitlab.example.com/acme/app@refs/tags/v1.2.0");
    expect(provenance.buildDefinition.internalParameters).toMatchObject({ dirty: true });
  });

  it("still produces valid provenance outside a git checkout", async () => {
    const { dir: plain, cleanup: done } = await scratch();
    try {
      const provenance = parseProvenance(localProvenance(await localFacts(plain, new Date(), "1.0.0")));
      expect(sourceOf(provenance)).toBeUndefined();
    } finally {
      await done();
    }
  });
});
