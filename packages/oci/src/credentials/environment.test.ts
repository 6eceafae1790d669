import { createServer } from "node:http";
import { isProvenantError } from "@provenant/core";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { parseImageReference } from "../reference/reference.js";
import { startRegistry, type TestRegistry } from "../test-support/registry.js";
import { registryClientFromEnvironment, withRegistryLogin } from "./environment.js";

const DIGEST = `sha256:${"a".repeat(64)}`;

describe("registryClientFromEnvironment with withRegistryLogin, against distribution 2.8 with Basic auth", () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startRegistry({ basicAuth: true });
  });
  afterAll(async () => {
    await registry?.close();
  });

  it("logs in to the login's registry", async () => {
    const env = withRegistryLogin({ HOME: "/nonexistent" }, { ...registry.credentials!, registry: registry.host });
    const client = registryClientFromEnvironment({ env });
    // Authenticated, the registry says the tag is absent instead of refusing.
    expect(await client.getManifest(parseImageReference(`${registry.host}/acme/app`), "1.0")).toBeUndefined();
  });

  it("keeps the login from any other registry", async () => {
    const env = withRegistryLogin({ HOME: "/nonexistent" }, { ...registry.credentials!, registry: "ghcr.io" });
    const client = registryClientFromEnvironment({ env });
    await expect(client.getManifest(parseImageReference(`${registry.host}/acme/app`), "1.0")).rejects.toSatisfy(
      (error) => isProvenantError(error, "IO_ERROR") && /no credentials were found/.test((error as Error).message),
    );
  });
});

describe("registryClientFromEnvironment and plain HTTP", () => {
  /**
   * A loopback server whose blob redirects to 0.0.0.0, which reaches the same
   * server but is no loopback name: plain HTTP there needs the host named.
   */
  async function redirectingToUnnamedHost(): Promise<{ host: string; port: number }> {
    const server = createServer((request, response) => {
      if (request.headers.host?.startsWith("127.0.0.1")) {
        response.writeHead(307, { location: `http://0.0.0.0:${port}${request.url}` }).end();
      } else {
        response.writeHead(200).end();
      }
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    onTestFinished(() => void server.close());
    const { port } = server.address() as { port: number };
    return { host: `127.0.0.1:${port}`, port };
  }

  it("speaks plain HTTP to the hosts in PROVENANT_INSECURE_REGISTRIES and to those the caller names", async () => {
    const { host } = await redirectingToUnnamedHost();
    const repo = { registry: host, repository: "acme/app" };
    const env = { HOME: "/nonexistent" };
    await expect(registryClientFromEnvironment({ env }).hasBlob(repo, DIGEST)).rejects.toSatisfy(
      (error) => isProvenantError(error, "USAGE") && /refusing http:\/\/0\.0\.0\.0/.test((error as Error).message),
    );
    const named = registryClientFromEnvironment({ env: { ...env, PROVENANT_INSECURE_REGISTRIES: "registry.corp, 0.0.0.0" } });
    expect(await named.hasBlob(repo, DIGEST)).toBe(true);
    expect(await registryClientFromEnvironment({ env, insecureRegistries: ["0.0.0.0"] }).hasBlob(repo, DIGEST)).toBe(true);
  });
});
