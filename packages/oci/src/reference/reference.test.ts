import { isProvenantError } from "@provenant/core";
import { describe, expect, it } from "vitest";
import { formatImageReference, isLoopbackHost, parseImageArgument, parseImageReference, registryApiHost } from "./reference.js";

const HEX = "a".repeat(64);

describe("parseImageReference", () => {
  // Expected values are what `docker pull` normalises these to (docker/distribution reference.ParseNormalizedNamed).
  it.each([
    ["alpine", { registry: "docker.io", repository: "library/alpine" }],
    ["alpine:3.20", { registry: "docker.io", repository: "library/alpine", tag: "3.20" }],
    ["acme/app", { registry: "docker.io", repository: "acme/app" }],
    ["docker.io/alpine", { registry: "docker.io", repository: "library/alpine" }],
    ["index.docker.io/acme/app:v1", { registry: "docker.io", repository: "acme/app", tag: "v1" }],
    ["ghcr.io/acme/tools/app:1.2.3", { registry: "ghcr.io", repository: "acme/tools/app", tag: "1.2.3" }],
    ["localhost/app", { registry: "localhost", repository: "app" }],
    ["localhost:5000/app:latest", { registry: "localhost:5000", repository: "app", tag: "latest" }],
    ["127.0.0.1:5000/a/b", { registry: "127.0.0.1:5000", repository: "a/b" }],
    ["[::1]:5000/app", { registry: "[::1]:5000", repository: "app" }],
    [`registry.example:443/app@sha256:${HEX}`, { registry: "registry.example:443", repository: "app", digest: `sha256:${HEX}` }],
    [`app:1.0@sha256:${HEX}`, { registry: "docker.io", repository: "library/app", tag: "1.0", digest: `sha256:${HEX}` }],
    ["my-registry.corp/team/my_app__x:v1.0-rc.1", { registry: "my-registry.corp", repository: "team/my_app__x", tag: "v1.0-rc.1" }],
  ])("%s", (text, expected) => {
    expect(parseImageReference(text)).toEqual(expected);
  });

  it.each([
    ["", /empty/],
    [" alpine", /whitespace/],
    ["Alpine", /lowercase/],
    ["ghcr.io/Acme/app", /lowercase/],
    ["app:", /tag ""/],
    ["app:-bad", /tag "-bad"/],
    [`app:${"t".repeat(129)}`, /at most 128/],
    ["app@sha256:abc", /digest/],
    [`app@sha256:${"A".repeat(64)}`, /digest/],
    [`app@md5:${HEX}`, /digest/],
    ["ghcr.io//app", /repository component ""/],
    ["ghcr.io/app/", /repository component ""/],
    ["host:99999/app", /port 99999/],
    ["bad_host.io:5000/app", /registry "bad_host.io:5000"/],
    [`ghcr.io/${"a".repeat(250)}`, /longer than 255/],
    ["ghcr.io/app;rm -rf", /repository component/],
  ])("refuses %j", (text, why) => {
    let caught: unknown;
    try {
      parseImageReference(text);
    } catch (error) {
      caught = error;
    }
    expect(isProvenantError(caught, "USAGE")).toBe(true);
    expect((caught as Error).message).toMatch(why);
    expect((caught as Error).message).toMatch(/expected \[REGISTRY/);
  });

  it("round-trips through formatImageReference", () => {
    const text = `ghcr.io/acme/app:1.0@sha256:${HEX}`;
    expect(formatImageReference(parseImageReference(text))).toBe(text);
    expect(formatImageReference(parseImageReference("alpine"))).toBe("docker.io/library/alpine");
  });
});

describe("parseImageArgument", () => {
  it("reads an image with or without the oci:// prefix alike", () => {
    const expected = { registry: "ghcr.io", repository: "acme/app", tag: "1.0" };
    expect(parseImageArgument("oci://ghcr.io/acme/app:1.0")).toEqual(expected);
    expect(parseImageArgument("ghcr.io/acme/app:1.0")).toEqual(expected);
  });

  it("strips the prefix once, so oci://oci://… is refused", () => {
    let caught: unknown;
    try {
      parseImageArgument("oci://oci://ghcr.io/acme/app");
    } catch (error) {
      caught = error;
    }
    expect(isProvenantError(caught, "USAGE")).toBe(true);
  });
});

describe("hosts", () => {
  it("talks to Docker Hub's API host for docker.io", () => {
    expect(registryApiHost("docker.io")).toBe("registry-1.docker.io");
    expect(registryApiHost("ghcr.io")).toBe("ghcr.io");
  });

  it("treats only loopback names and addresses as loopback", () => {
    expect(["localhost:5000", "127.0.0.1", "127.1.2.3:80", "[::1]:5000"].map(isLoopbackHost)).toEqual([true, true, true, true]);
    expect(["localhost.evil.example", "128.0.0.1", "10.0.0.1:5000", "ghcr.io"].map(isLoopbackHost)).toEqual([false, false, false, false]);
  });
});
