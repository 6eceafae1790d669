import { isProvenantError } from "@provenant/core";
import { describe, expect, it } from "vitest";
import { normalizeCollectionUri, organizationOf, repositoryUrlOf } from "./variables.js";

describe("collection URIs", () => {
  it("names the organization of Services, legacy and Server collection URIs", () => {
    expect(organizationOf("https://dev.azure.com/acme/")).toBe("acme");
    expect(organizationOf("https://acme.visualstudio.com/")).toBe("acme");
    expect(organizationOf("https://tfs.corp.example/tfs/DefaultCollection/")).toBe("DefaultCollection");
  });

  it("normalizes to one trailing slash and no credentials", () => {
    expect(normalizeCollectionUri("https://user:secret@dev.azure.com/acme")).toBe("https://dev.azure.com/acme/");
  });

  it("refuses a collection URI that is not an http(s) URL", () => {
    expect(() => normalizeCollectionUri("dev.azure.com/acme")).toThrow(expect.objectContaining({ code: "PLATFORM_FACTS_MISSING" }));
    try {
      normalizeCollectionUri("file:///etc/passwd");
      expect.unreachable();
    } catch (error) {
      expect(isProvenantError(error, "PLATFORM_FACTS_MISSING")).toBe(true);
    }
  });
});

describe("repository URLs", () => {
  it("records Azure Repos, GitHub and ssh remotes as https without user names, keeping percent-encoding", () => {
    expect(repositoryUrlOf("https://acme@dev.azure.com/acme/Payments%20Platform/_git/payments-api", "x")).toBe(
      "https://dev.azure.com/acme/Payments%20Platform/_git/payments-api",
    );
    expect(repositoryUrlOf("https://github.com/acme/app.git", "x")).toBe("https://github.com/acme/app");
    expect(repositoryUrlOf("git@github.example.com:acme/app.git", "x")).toBe("https://github.example.com/acme/app");
  });
});
