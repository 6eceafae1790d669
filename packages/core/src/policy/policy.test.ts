import { describe, expect, it } from "vitest";
import type { Source } from "../source/source.js";
import { matchBranch, matchBuilderId, matchSourceUri, matchTag, matchVersionedTag, parsePolicy } from "./policy.js";

const source = (ref: string): Source => ({
  uri: "https://github.com/acme/app",
  repository: "github.com/acme/app",
  ref,
  ...(ref.startsWith("refs/tags/") ? { tag: ref.slice(10) } : { branch: ref.slice(11) }),
});

describe("policy rules", () => {
  it("matches source URIs with or without scheme, and globs within a segment", () => {
    const s = source("refs/heads/main");
    expect(matchSourceUri("github.com/acme/app", s).pass).toBe(true);
    expect(matchSourceUri("https://github.com/acme/app.git", s).pass).toBe(true);
    expect(matchSourceUri("github.com/acme/*", s).pass).toBe(true);
    expect(matchSourceUri("github.com/*", s).pass).toBe(false);
    expect(matchSourceUri("github.com/acme-evil/*", s).pass).toBe(false);
    expect(matchSourceUri("github.com/acme/*", undefined).pass).toBe(false);
  });

  it("matches branches and tags by short or full name", () => {
    expect(matchBranch("main", source("refs/heads/main")).pass).toBe(true);
    expect(matchBranch("refs/heads/main", source("refs/heads/main")).pass).toBe(true);
    expect(matchBranch("release/*", source("refs/heads/release/1.x")).pass).toBe(true);
    expect(matchBranch("main", source("refs/tags/main")).pass).toBe(false);
    expect(matchTag("v1.2.0", source("refs/tags/v1.2.0")).pass).toBe(true);
    expect(matchTag("v1.2.0", source("refs/heads/v1.2.0")).pass).toBe(false);
  });

  it("matches versioned tags with semver ranges", () => {
    expect(matchVersionedTag("^1.2.0", source("refs/tags/v1.9.3")).pass).toBe(true);
    expect(matchVersionedTag("^1.2.0", source("refs/tags/v2.0.0")).pass).toBe(false);
    expect(matchVersionedTag("^1.2.0", source("refs/tags/nightly")).reason).toMatch(/not a semantic version/);
    expect(matchVersionedTag("^1.2.0", source("refs/heads/main")).pass).toBe(false);
  });

  it("matches builder ids by name unless the policy pins the ref", () => {
    const id = "https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1.0.0";
    expect(matchBuilderId("https://github.com/acme/app/.github/workflows/release.yml", id).pass).toBe(true);
    expect(matchBuilderId(id, id).pass).toBe(true);
    expect(matchBuilderId("https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main", id).pass).toBe(false);
    // A changesets release tag holds "@" itself: the name part still ends at "@refs/".
    const scoped = "https://github.com/acme/app/.github/workflows/release.yml@refs/tags/@acme/app@1.2.0";
    expect(matchBuilderId("https://github.com/acme/app/.github/workflows/release.yml", scoped).pass).toBe(true);
  });

  it("refuses a policy with an unknown field or a bad semver range", () => {
    expect(() => parsePolicy({ sourceURI: "x" })).toThrow(/policy/);
    expect(() => parsePolicy({ sourceVersionedTag: "not a range" })).toThrow(/semver range/);
  });
});
