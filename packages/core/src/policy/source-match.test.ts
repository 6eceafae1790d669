import { describe, expect, it } from "vitest";
import type { Source } from "../source/source.js";
import { matchSourceUri, matchVersionedTag, parsePolicy } from "./policy.js";
import { parseSourceLocation, strictSemverOf } from "./source-match.js";

// Attack corpus from the security review (issue 12 §3): a signer that emits a
// hostile source URI or tag must not satisfy a policy by text tricks.
const sourceAt = (uri: string, tag?: string): Source => ({
  uri,
  repository: uri.replace(/^https?:\/\//, "").toLowerCase(),
  ...(tag ? { ref: `refs/tags/${tag}`, tag } : {}),
});

describe("source URI policy: matched on parsed host and path", () => {
  it.each([
    ["*.example.com/acme/app", "https://evil.com#.example.com/acme/app"],
    ["*.example.com/acme/app", "https://evil.com?.example.com/acme/app"],
    ["github.com/acme/*", "https://github.com/acme/x\\..\\..\\evil"],
    ["github.com/acme/*", "https://github.com/acme/x%2F..%2F..%2Fevil"],
    ["github.com/acme/*", "https://github.com/acme/x%2f%2e%2e"],
    ["github.com/acme/*", "https://github.com/acme/%252F"],
    ["github.com/acme/*", "https://github.com/acme/%E2%84%AAit"],
    ["github.com/acme/*", "https://github.com/acme/a%5Cb"],
    ["github.com/acme/**", "https://github.com/acme/../evil/app"],
    ["github.com/acme/**", "https://github.com/acme/./app"],
    ["github.com/acme/kit", "https://github.com/acme/\u212Ait"], // Kelvin sign, lower-cases to "k"
    ["github.com/acme/app", "https://github.com/\u0430cme/app"], // Cyrillic a
    ["github.com/acme/app", "https://user:pw@github.com/acme/app"],
    ["github.com/acme/app", "https://github.com@evil.com/acme/app"],
    ["github.com/acme/*", "https://github.com/acme/app\u202e"],
    ["github.com/acme/app", "https://github.com.evil.com/acme/app"],
    ["github.com/acme/*", "https://github.com/acme/app/extra"],
    ["*.example.com/acme/app", "https://a.b.example.com/acme/app"],
  ])("pattern %s refuses %s", (pattern, uri) => {
    expect(matchSourceUri(pattern, sourceAt(uri)).pass).toBe(false);
  });

  it.each([
    ["github.com/acme/app", "https://github.com/acme/app"],
    ["GitHub.COM/Acme/App", "https://github.com/acme/app"],
    ["https://github.com/acme/app.git", "https://github.com/acme/app"],
    ["git+https://github.com/acme/*", "https://github.com/acme/app"],
    ["*.example.com/acme/app", "https://git.example.com/acme/app"],
    ["gitlab.example.com/acme/**", "https://gitlab.example.com/acme/group/sub/app"],
    ["gitlab.example.com:8443/acme/app", "https://gitlab.example.com:8443/acme/app"],
    ["127.0.0.1:*/acme/app", "https://127.0.0.1:41234/acme/app"],
    ["dev.azure.com/acme/*/_git/payments-api", "https://dev.azure.com/acme/Payments%20Platform/_git/payments-api"],
  ])("pattern %s accepts %s", (pattern, uri) => {
    expect(matchSourceUri(pattern, sourceAt(uri)).pass).toBe(true);
  });

  it("says why a hostile source was refused", () => {
    expect(matchSourceUri("github.com/acme/*", sourceAt("https://github.com/acme/a%2Fb")).reason).toMatch(/percent-encoded/);
    expect(parseSourceLocation("https://github.com/acme/\u212Ait")).toMatchObject({ ok: false });
  });

  it("refuses a hostile --source-uri pattern when the policy is parsed", () => {
    for (const pattern of ["github.com/acme/../x", "u@github.com/acme/x", "github.com/acme/x?y", "github.com\\acme", "github.com/\u212Ait"]) {
      expect(() => parsePolicy({ sourceUri: pattern }), pattern).toThrow(/expected host\/path/);
    }
  });
});

describe("versioned tags: strict SemVer with one optional v", () => {
  it.each(["vv=v1.2.3", " v1.2.3", "v1.2.3 ", "=1.2.3", "v01.2.3", "1.2", "V1.2.3", "vv1.2.3", "v1.2.3\n"])("refuses tag %j", (tag) => {
    expect(strictSemverOf(tag)).toBeUndefined();
    expect(matchVersionedTag("^1.2.0", sourceAt("https://github.com/acme/app", tag)).pass).toBe(false);
  });

  it.each(["v1.2.3", "1.2.3", "1.9.0+build.5"])("accepts tag %s", (tag) => {
    expect(matchVersionedTag("^1.2.0", sourceAt("https://github.com/acme/app", tag)).pass).toBe(true);
  });

  it("keeps pre-releases out of a plain range", () => {
    expect(strictSemverOf("v1.3.0-rc.1")).toBe("1.3.0-rc.1");
    expect(matchVersionedTag("^1.2.0", sourceAt("https://github.com/acme/app", "v1.3.0-rc.1")).pass).toBe(false);
  });
});
