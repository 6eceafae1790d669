import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startTestIssuer, type TestIssuer } from "@provenant/oidc/testing";
import { openConfiguredVault, startVaultServer, type VaultServer } from "@provenant/server";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli, scratch } from "./test-support.js";

// End to end on Azure Pipelines: a local issuer signing Azure DevOps' pipeline
// claim set, the real vault server over HTTP trusting it for Azure's fixed
// audience, the real CLI requesting the token through System.OidcRequestUri
// and the provenance from the server, then `verify --service-key`.
const AUDIENCE = "api://AzureADTokenExchange";
const COMMIT = "3f786850e387550fdab836ed7e6dc881de23001b";
const OIDC_REQUEST_URI =
  "https://dev.azure.com/acme/7d9e1c3a-0b5f-4e2d-8a61-93c2b4f0e7aa/_apis/distributedtask/hubs/build/plans/a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d/jobs/12f1170f-54f2-53f3-20dd-22fc7dff55f9/oidctoken";

let dir: string;
let cleanup: () => Promise<void>;
let issuer: TestIssuer;
let server: VaultServer | undefined;
const realFetch = globalThis.fetch;
const tokenRequests: { url: string; authorization: string | null }[] = [];

beforeEach(async () => {
  ({ dir, cleanup } = await scratch());
  await writeFile(join(dir, "app.tgz"), "the artifact");
  issuer = await startTestIssuer({ defaultAudience: AUDIENCE });
  issuer.setTokenEndpointClaims({
    sub: "p://acme/Payments Platform/payments-api-ci",
    org_id: "2f1a8a52-4c2e-4f7b-9c0d-6d4a0e3b1c11",
    prj_id: "7d9e1c3a-0b5f-4e2d-8a61-93c2b4f0e7aa",
    def_id: "42",
    rpo_id: "c0ffee00-1111-4222-8333-944445555666",
    rpo_uri: "https://dev.azure.com/acme/Payments%20Platform/_git/payments-api",
    rpo_ref: "refs/heads/main",
    rpo_ver: COMMIT,
    run_id: "1234",
  });
  // dev.azure.com's Oidctoken - Create, answered by the local issuer's token
  // endpoint (same POST, same answer shape) inside this process only.
  globalThis.fetch = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.hostname !== "dev.azure.com") return realFetch(input, init);
    tokenRequests.push({ url: url.href, authorization: new Headers(init?.headers).get("authorization") });
    const target = new URL(issuer.tokenUrl);
    target.search = url.search;
    return realFetch(target, init);
  }) as typeof fetch;
});
afterEach(async () => {
  globalThis.fetch = realFetch;
  tokenRequests.length = 0;
  await server?.close();
  server = undefined;
  await issuer.close();
  await cleanup();
});

async function startServer() {
  const data = join(dir, "data");
  await mkdir(data);
  const trusted = { issuer: issuer.issuer, platform: "azure-pipelines", audiences: [AUDIENCE], repositories: ["dev.azure.com/acme/Payments Platform/_git/*"] };
  await writeFile(join(data, "server.json"), JSON.stringify({ signing: { trustedIssuers: [trusted] } }));
  server = await startVaultServer({ data, listen: "127.0.0.1:0" }, {}, dir, { openVault: openConfiguredVault });
  return server;
}

function azureJob(accessToken: string): Record<string, string> {
  return {
    TF_BUILD: "True",
    SYSTEM_COLLECTIONURI: "https://dev.azure.com/acme/",
    SYSTEM_OIDCREQUESTURI: OIDC_REQUEST_URI,
    SYSTEM_ACCESSTOKEN: accessToken,
  };
}

describe("provenant attest --server on Azure Pipelines", () => {
  it("requests the pipeline token through System.OidcRequestUri; the service-signed provenance verifies as L2 with --service-key (pool kind unknown), never L3", async () => {
    const running = await startServer();
    const attest = await runCli(["attest", "app.tgz", "--server", running.url], { cwd: dir, env: azureJob(issuer.requestToken) });
    expect(attest.stderr).toMatch(/signed by the service/);
    expect(attest.code).toBe(0);
    expect(tokenRequests).toEqual([{ url: `${OIDC_REQUEST_URI}?api-version=7.1-preview.1`, authorization: `Bearer ${issuer.requestToken}` }]);
    const bundlePath = bundlePathOf(attest.stderr);
    const bundle = JSON.parse(await readFile(bundlePath, "utf8"));
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, "base64").toString("utf8"));
    expect(statement.predicate.runDetails.metadata.provenant_factsSource).toBe("service-oidc-token");
    expect(statement.predicate.runDetails.builder.id).toBe("https://dev.azure.com/acme/_agents/self-hosted");
    const servicePub = join(dir, "data", "signing.pub");
    const common = ["verify", "app.tgz", "-b", bundlePath, "--service-key", servicePub, "--source-uri", "dev.azure.com/acme/*/_git/payments-api"];
    const l2 = await runCli([...common, "--slsa-level", "2"], { cwd: dir });
    expect(l2.stdout).toMatch(/SLSA Build L2.*Azure Pipelines agent whose pool is not known/);
    expect(l2.code).toBe(0);
    const l3 = await runCli([...common, "--slsa-level", "3"], { cwd: dir });
    expect(l3.code).toBe(1);
  });

  it("fails clearly, contacting nothing, without the job access token, and refuses an audience Azure cannot issue", async () => {
    const running = await startServer();
    const { SYSTEM_ACCESSTOKEN: _token, ...noToken } = azureJob("unused");
    const missing = await runCli(["attest", "app.tgz", "--server", running.url], { cwd: dir, env: noToken });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/PLATFORM_FACTS_MISSING.*SYSTEM_ACCESSTOKEN: \$\(System\.AccessToken\)/);
    const audience = await runCli(["attest", "app.tgz", "--server", running.url, "--token-audience", running.url], { cwd: dir, env: azureJob(issuer.requestToken) });
    expect(audience.code).toBe(2);
    expect(audience.stderr).toMatch(/always carry the audience api:\/\/AzureADTokenExchange/);
    expect(tokenRequests).toEqual([]);
  });
});

function bundlePathOf(stderr: string): string {
  const match = /wrote (\S+)/.exec(stderr);
  if (!match) throw new Error(`no bundle path in: ${stderr}`);
  return match[1]!;
}
