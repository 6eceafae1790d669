import { describe, expect, it } from "vitest";
import type { JenkinsScm } from "../facts/types.js";
import { isRefParameter, resolveSourceRef, sourceRef } from "./ref.js";

const base: JenkinsScm = { repositoryUrl: "https://github.com/acme/app", commit: "a".repeat(40) };

describe("sourceRef", () => {
  it.each<[Partial<JenkinsScm>, string | undefined]>([
    [{ gitBranch: "origin/main" }, "refs/heads/main"],
    [{ gitBranch: "origin/feature/login" }, "refs/heads/feature/login"],
    [{ gitBranch: "refs/remotes/origin/release/2.x" }, "refs/heads/release/2.x"],
    [{ gitBranch: "origin/release/2.x", localBranch: "release/2.x" }, "refs/heads/release/2.x"],
    [{ gitBranch: "refs/tags/v2.0.0" }, "refs/tags/v2.0.0"],
    [{ gitBranch: "detached" }, undefined],
    [{ branchName: "feature/x", gitBranch: "feature/x" }, "refs/heads/feature/x"],
    [{ branchName: "v1.0.0", tagName: "v1.0.0", gitBranch: "v1.0.0" }, "refs/tags/v1.0.0"],
    [{ branchName: "PR-7", gitBranch: "PR-7", change: { id: "7" } }, undefined],
    [{}, undefined],
  ])("%o -> %s", (scm, expected) => {
    expect(resolveSourceRef({ ...base, ...scm })).toEqual(expected ? { ref: expected } : {});
  });

  it.each<[string, Partial<JenkinsScm>]>([
    // A multibranch branch `feature/main`: GIT_BRANCH is the bare name.
    ["a bare multibranch name", { gitBranch: "feature/main" }],
    ["another remote's branch", { gitBranch: "upstream/main" }],
    ["another remote's full ref", { gitBranch: "refs/remotes/upstream/main" }],
    // The local branch is whatever the job names it, not what was fetched.
    ["a local branch that matches the end of GIT_BRANCH", { gitBranch: "upstream/feature/main", localBranch: "main" }],
    ["only a local branch", { localBranch: "main" }],
  ])("records no ref for %s", (_, scm) => {
    expect(sourceRef({ ...base, ...scm })).toBeUndefined();
  });

  it("warns when GIT_BRANCH names no known remote", () => {
    expect(resolveSourceRef({ ...base, gitBranch: "feature/main" }).warning).toContain('GIT_BRANCH "feature/main" is not origin/<branch>');
  });

  describe("with a build parameter named after a ref variable", () => {
    it.each<[string, Partial<JenkinsScm>]>([
      ["a tag", { tagName: "v1.0.0", refParameters: ["TAG_NAME"] }],
      ["a multibranch branch", { branchName: "main", gitBranch: "main", refParameters: ["BRANCH_NAME"] }],
      ["a GIT_BRANCH", { gitBranch: "origin/main", refParameters: ["CHANGE_ID", "CHANGE_TARGET"] }],
    ])("records no ref for %s, and names the parameters", (_, scm) => {
      const resolution = resolveSourceRef({ ...base, ...scm });
      expect(resolution.ref).toBeUndefined();
      expect(resolution.warning).toContain(`named ${scm.refParameters?.join(", ")}`);
    });

    it.each([
      ["TAG_NAME", true],
      ["BRANCH_NAME", true],
      ["CHANGE_ID", true],
      ["CHANGE_AUTHOR_EMAIL", true],
      ["GIT_BRANCH", false],
      ["TARGET", false],
      ["tag_name", false],
    ])("%s counts as a ref parameter: %s", (name, expected) => {
      expect(isRefParameter(name)).toBe(expected);
    });
  });

  describe("from an ID token missing some ref claims", () => {
    it.each<[string, Partial<JenkinsScm>, string]>([
      // Claims git_url, git_commit and git_branch only, branch `feature/main` of a multibranch job.
      ["git_branch only", { gitBranch: "origin/main", unclaimed: ["TAG_NAME", "CHANGE_ID", "BRANCH_NAME"] }, "tag_name or change_id or branch_name"],
      // A multibranch tag `main` sets BRANCH_NAME=main too.
      ["branch_name without tag_name", { branchName: "main", unclaimed: ["TAG_NAME"] }, "no tag_name claim"],
      // A pull request sets BRANCH_NAME=PR-12.
      ["branch_name without change_id", { branchName: "PR-12", unclaimed: ["CHANGE_ID"] }, "no change_id claim"],
      ["git_branch without branch_name", { gitBranch: "origin/main", unclaimed: ["BRANCH_NAME"] }, "no branch_name claim"],
      // A freestyle or Pipeline job: the token has every multibranch claim, unexpanded, but no git_branch.
      ["no git_branch claim", { unclaimed: ["GIT_BRANCH"] }, "no git_branch claim"],
    ])("%s: no ref, and a warning naming the missing claim", (_, scm, missing) => {
      const resolution = resolveSourceRef({ ...base, ...scm });
      expect(resolution.ref).toBeUndefined();
      expect(resolution.warning).toContain(missing);
    });

    it.each<[string, Partial<JenkinsScm>, string | undefined]>([
      ["a tag, whatever else is missing", { tagName: "v1.0.0", branchName: "v1.0.0", unclaimed: ["CHANGE_ID"] }, "refs/tags/v1.0.0"],
      ["a pull request, whatever else is missing", { change: { id: "7" }, unclaimed: ["TAG_NAME"] }, undefined],
      ["a branch, when tag_name and change_id are claimed", { branchName: "main", gitBranch: "x", unclaimed: [] }, "refs/heads/main"],
    ])("still records %s", (_, scm, expected) => {
      expect(resolveSourceRef({ ...base, ...scm })).toEqual(expected ? { ref: expected } : {});
    });
  });
});
