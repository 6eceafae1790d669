import { describe, expect, it } from "vitest";
import { matchesPattern, parseSigningConfig } from "./config.js";

describe("signing config", () => {
  it("matches repositories segment by segment", () => {
    expect(matchesPattern("acme/*", "acme/app")).toBe(true);
    expect(matchesPattern("acme/*", "acme/group/app")).toBe(false);
    expect(matchesPattern("acme/**", "acme/group/app")).toBe(true);
    expect(matchesPattern("acme/*", "acme-evil/app")).toBe(false);
    expect(matchesPattern("acme/app", "acme/app2")).toBe(false);
    expect(matchesPattern("acme/**", "acme")).toBe(false);
  });

  it("names the bad field of a config", () => {
    expect(() => parseSigningConfig({ trustedIssuers: [{ issuer: "https://x", platform: "bitbucket", audiences: ["a"], repositories: ["a/b"] }] })).toThrow(
      /signing\.trustedIssuers\.0\.platform/,
    );
    expect(() => parseSigningConfig({ trustedIssuers: [{ issuer: "https://x", platform: "github", audiences: ["a"] }] })).toThrow(/repositories/);
  });
});
