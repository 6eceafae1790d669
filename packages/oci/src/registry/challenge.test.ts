import { describe, expect, it } from "vitest";
import { parseChallenges } from "./challenge.js";

describe("parseChallenges", () => {
  it("reads a Bearer challenge with a comma inside a quoted scope", () => {
    // As Docker Hub and GHCR send it (Docker token authentication spec).
    expect(
      parseChallenges('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:acme/app:pull,push"'),
    ).toEqual([{ scheme: "bearer", params: { realm: "https://auth.example/token", service: "registry.example", scope: "repository:acme/app:pull,push" } }]);
  });

  it("reads Basic, unquoted values and several challenges in one header", () => {
    expect(parseChallenges('Basic realm="Registry Realm", Bearer realm=https://a/t, service=s')).toEqual([
      { scheme: "basic", params: { realm: "Registry Realm" } },
      { scheme: "bearer", params: { realm: "https://a/t", service: "s" } },
    ]);
  });
});
