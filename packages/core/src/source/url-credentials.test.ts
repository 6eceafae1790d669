import { describe, expect, it } from "vitest";
import { hasCredentials, stripUrlCredentials, withoutCredentials } from "./url-credentials.js";

describe("withoutCredentials", () => {
  it.each([
    ["https://u:SECRET@gitlab.example/acme/app/-/jobs/7", "https://gitlab.example/acme/app/-/jobs/7"],
    ["https://gitlab-ci-token:glcbt-xyz@gitlab.example/acme/app", "https://gitlab.example/acme/app"],
    ["https://token@jenkins.example/job/app/3/", "https://jenkins.example/job/app/3/"],
    ["oci://u:PASS@registry.example/acme/app:1", "oci://registry.example/acme/app:1"],
    ["https://gitlab.example/p?private_token=abc&x=1", "https://gitlab.example/p?x=1"],
    ["https://h.example/p?access_token=abc#frag", "https://h.example/p#frag"],
    ["https://s3.example/o?X-Amz-Signature=ff&X-Amz-Credential=c&v=2", "https://s3.example/o?v=2"],
    ["https://h.example/p?sig=1", "https://h.example/p"],
  ])("strips %s", (input, expected) => {
    expect(withoutCredentials(input)).toBe(expected);
    expect(hasCredentials(input)).toBe(true);
    expect(hasCredentials(expected)).toBe(false);
  });

  it("keeps the query an Azure results page needs, and clean URLs as written", () => {
    const azure = "https://dev.azure.com/acme/app/_build/results?buildId=42";
    expect(withoutCredentials(azure)).toBe(azure);
    expect(withoutCredentials("https://GitHub.com/Acme/App")).toBe("https://GitHub.com/Acme/App");
  });

  it("strips userinfo from text the URL parser refuses", () => {
    expect(withoutCredentials("https://u:p@exa mple/x")).toBe("https://exa mple/x");
  });
});

describe("stripUrlCredentials", () => {
  it("cleans every URL string in a document, git+ URLs included, and nothing else", () => {
    const doc = {
      uri: "git+https://u:T@gitlab.example/acme/app@refs/heads/main",
      nested: [{ url: "https://u:T@gitlab.example/acme/app/-/pipelines/1" }],
      note: "user@example.com",
      n: 3,
    };
    expect(stripUrlCredentials(doc)).toEqual({
      uri: "git+https://gitlab.example/acme/app@refs/heads/main",
      nested: [{ url: "https://gitlab.example/acme/app/-/pipelines/1" }],
      note: "user@example.com",
      n: 3,
    });
  });
});

describe("redactCredentials", () => {
  it("removes passwords from URLs quoted in messages", async () => {
    const { redactCredentials } = await import("./url-credentials.js");
    expect(redactCredentials("cannot parse image oci://u:PASS@registry.example/acme/app: bad tag")).toBe(
      "cannot parse image oci://registry.example/acme/app: bad tag",
    );
    expect(redactCredentials("GET https://r.example/v2/?access_token=abc&x=1 failed")).toBe(
      "GET https://r.example/v2/?access_token=[redacted]&x=1 failed",
    );
    expect(redactCredentials("user@example.com wrote refs/tags/@scope/pkg@1.0.0")).toBe("user@example.com wrote refs/tags/@scope/pkg@1.0.0");
    expect(redactCredentials('image reference "u:PASS@127.0.0.1:1/Acme/App:1": bad')).toBe('image reference "127.0.0.1:1/Acme/App:1": bad');
    expect(redactCredentials("digest sha256:abc is not ghcr.io/acme/app@sha256:abc")).toBe("digest sha256:abc is not ghcr.io/acme/app@sha256:abc");
  });
});
