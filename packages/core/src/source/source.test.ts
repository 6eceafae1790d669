import { describe, expect, it } from "vitest";
import { sampleProvenance } from "../test-support.js";
import { normalizeGitUrl } from "./git-url.js";
import { sourceOf } from "./source.js";

describe("normalizeGitUrl", () => {
  it.each([
    ["git@github.com:acme/app.git", "https://github.com/acme/app"],
    ["ssh://git@gitlab.example.com:2222/group/sub/app.git", "https://gitlab.example.com/group/sub/app"],
    ["https://user:s3cret-token@github.com/acme/app.git", "https://github.com/acme/app"],
    ["https://oauth2:glpat-xyz@gitlab.example.com:8443/acme/app", "https://gitlab.example.com:8443/acme/app"],
    ["git://example.org/app.git", "https://example.org/app"],
    ["git@github.com:/acme/app.git", "https://github.com/acme/app"],
    ["http://git.internal:8080/acme/app.git", "https://git.internal:8080/acme/app"],
    ["https://dev.azure.com/org/proj/_git/repo", "https://dev.azure.com/org/proj/_git/repo"],
  ])("%s -> %s", (remote, expected) => {
    expect(normalizeGitUrl(remote)).toBe(expected);
  });

  it("gives no address for a remote with a malformed %-escape, instead of throwing", () => {
    expect(normalizeGitUrl("https://git.example.com/acme/a%zz.git")).toBeUndefined();
  });

  it("leaves local paths out", () => {
    expect(normalizeGitUrl("/srv/git/app.git")).toBeUndefined();
    expect(normalizeGitUrl("file:///srv/git/app.git")).toBeUndefined();
    expect(normalizeGitUrl("")).toBeUndefined();
  });
});

describe("sourceOf", () => {
  it("reads the source convention", () => {
    expect(sourceOf(sampleProvenance({ ref: "refs/tags/v2.0.0" }) as never)).toMatchObject({
      repository: "gitlab.example.com/acme/app",
      ref: "refs/tags/v2.0.0",
      tag: "v2.0.0",
    });
  });

  it.each([
    ["refs/tags/@provenant/core@0.1.0", { tag: "@provenant/core@0.1.0" }],
    ["refs/heads/dependabot/npm_and_yarn/@types/node-22.1.0", { branch: "dependabot/npm_and_yarn/@types/node-22.1.0" }],
    ["refs/heads/main", { branch: "main" }],
  ])("reads a ref holding @ whole: %s", (ref, kind) => {
    const p = sampleProvenance({ ref });
    expect(sourceOf(p as never)).toEqual({
      uri: "https://gitlab.example.com/acme/app",
      repository: "gitlab.example.com/acme/app",
      ref,
      ...kind,
      commit: p.buildDefinition.resolvedDependencies![0]!.digest!.gitCommit,
    });
  });

  it("returns undefined without a git source", () => {
    const p = sampleProvenance();
    p.buildDefinition.resolvedDependencies = [{ uri: "https://example.com/x.tgz", digest: { sha256: "a".repeat(64) } }];
    expect(sourceOf(p as never)).toBeUndefined();
  });
});
