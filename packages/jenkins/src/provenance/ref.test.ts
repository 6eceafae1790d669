import { describe, expect, it } from "vitest";
import type { JenkinsScm } from "../facts/types.js";
import { sourceRef } from "./ref.js";

const base: JenkinsScm = { repositoryUrl: "https://github.com/acme/app", commit: "a".repeat(40) };

describe("sourceRef", () => {
  it.each<[Partial<JenkinsScm>, string | undefined]>([
    [{ gitBranch: "origin/main" }, "refs/heads/main"],
    [{ gitBranch: "origin/feature/login" }, "refs/heads/feature/login"],
    [{ gitBranch: "upstream/release/2.x", localBranch: "release/2.x" }, "refs/heads/release/2.x"],
    [{ gitBranch: "refs/tags/v2.0.0" }, "refs/tags/v2.0.0"],
    [{ gitBranch: "detached" }, undefined],
    [{ localBranch: "main" }, "refs/heads/main"],
    [{ branchName: "feature/x", gitBranch: "feature/x" }, "refs/heads/feature/x"],
    [{ branchName: "v1.0.0", tagName: "v1.0.0", gitBranch: "v1.0.0" }, "refs/tags/v1.0.0"],
    [{ branchName: "PR-7", gitBranch: "PR-7", change: { id: "7" } }, undefined],
    [{}, undefined],
  ])("%o -> %s", (scm, expected) => {
    expect(sourceRef({ ...base, ...scm })).toBe(expected);
  });
});
