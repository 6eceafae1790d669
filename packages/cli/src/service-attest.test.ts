import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { gitlabJobClaims, startTestIssuer, type TestIssuer } from "@provenant/oidc/testing";
import { openConfiguredVault, startVaultServer, type VaultServer } from "@provenant/server";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli, scratch } from "./test-support.js";

// End to end: a local issuer signing each platform's documented claim set, the
// real vault server over HTTP with that issuer trusted, the real CLI asking
// it for provenance, and `verify --service-key` reporting L3.
const AUDIENCE = "provenant-e2e";
const SHA = "0123456789abcdef0123456789abcdef01234567";

let dir: string;
let cleanup: () => Promise<void>;
let issuer: TestIssuer;
let server: VaultServer | undefined;
beforeEach(async () => {
  ({ dir, cleanup } = await scratch());
  await writeFile(join(dir, "app.tgz"), "the artifact");
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await issuer?.close();
  await cleanup();
});

async function startServer(platform: "github" | "gitlab", signing: Record<string, unknown> = {}) {
  const data = join(dir, "data");
  await mkdir(data);
  const trusted = {
    issuer: issuer.issuer,
    platform,
    audiences: [AUDIENCE],
    repositories: ["acme/*"],
    ...(platform === "github" ? { serverUrl: "https://github.com" } : {}),
  };
  await writeFile(join(data, "server.json"), JSON.stringify({ signing: { trustedIssuers: [trusted], ...signing } }));
  server = await startVaultServer({ data, listen: "127.0.0.1:0" }, {}, dir, { openVault: openConfiguredVault });
  return server;
}

describe("provenant attest --server (signing service)", () => {
  it("GitHub: the service signs provenance from the job token; verify --service-key reports L3", async () => {
    issuer = await startTestIssuer();
    issuer.setTokenEndpointClaims({
      sub: "repo:acme/app:ref:refs/heads/main",
      ref: "refs/heads/main",
      sha: SHA,
      repository: "acme/app",
      repository_owner: "acme",
      repository_id: "123",
      repository_owner_id: "456",
      event_name: "push",
      workflow_ref: "acme/app/.github/workflows/release.yml@refs/heads/main",
      job_workflow_ref: "acme/app/.github/workflows/release.yml@refs/heads/main",
      job_workflow_sha: SHA,
      run_id: "7543891234",
      run_attempt: "1",
      runner_environment: "github-hosted",
    });
    const running = await startServer("github");
    const env = { GITHUB_ACTIONS: "true", ACTIONS_ID_TOKEN_REQUEST_URL: issuer.tokenUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: issuer.requestToken };
    const attest = await runCli(["attest", "app.tgz", "--server", running.url, "--token-audience", AUDIENCE], { cwd: dir, env });
    expect(attest.stderr).toContain("signed by the service");
    expect(attest.code).toBe(0);
    const bundle = JSON.parse(await readFile(join(dir, "provenance.sigstore.json"), "utf8"));
    expect(bundle.verificationMaterial.tlogEntries).toHaveLength(1);

    const servicePub = join(running.config.dataDir, "signing.pub");
    const common = ["verify", "app.tgz", "-b", "provenance.sigstore.json", "--source-uri", "github.com/acme/app", "--slsa-level", "3"];
    const verified = await runCli([...common, "--service-key", servicePub], { cwd: dir });
    expect(verified.stdout).toMatch(/SLSA Build L3/);
    expect(verified.code).toBe(0);
    // The same key trusted as a user key: never L3.
    expect((await runCli([...common, "--key", servicePub], { cwd: dir })).code).toBe(1);
    // The server's trusted root marks its service key: given that file alone, verify --server reports L3.
    const read = await running.vault.createToken({ project: "acme/app", scope: "read" }, "cli");
    const fromServer = await runCli(
      ["verify", "app.tgz", "--server", running.url, "--trusted-root", running.trustedRootPath, "--source-uri", "github.com/acme/app", "--slsa-level", "3"],
      { cwd: dir, env: { PROVENANT_TOKEN: read.token } },
    );
    expect(fromServer.stdout).toMatch(/SLSA Build L3/);
    expect(fromServer.code).toBe(0);
  });

  it("GitLab: the id_tokens variable carries the token; verify --service-key reports L3", async () => {
    issuer = await startTestIssuer({ jwksPath: "/oauth/discovery/keys" });
    const host = new URL(issuer.issuer).host;
    const running = await startServer("gitlab");
    const token = await issuer.sign(gitlabJobClaims(host, { job_id: "5006" }), { audience: AUDIENCE });
    const env = { GITLAB_CI: "true", PROVENANT_ID_TOKEN: token };
    const attest = await runCli(["attest", "app.tgz", "--server", running.url, "--token-audience", AUDIENCE], { cwd: dir, env });
    expect(attest.code).toBe(0);
    const verified = await runCli(
      ["verify", "app.tgz", "-b", "provenance.sigstore.json", "--source-uri", `${host}/acme/app`, "--slsa-level", "3", "--service-key", join(running.config.dataDir, "signing.pub")],
      { cwd: dir },
    );
    expect(verified.stdout).toMatch(/SLSA Build L3/);
    expect(verified.code).toBe(0);
    // The token was used once: the same job cannot get a second signature with it.
    const again = await runCli(["attest", "app.tgz", "--server", running.url, "--token-audience", AUDIENCE, "--bundle", "again.json"], { cwd: dir, env });
    expect(again.stderr).toContain("TOKEN_REPLAYED");
    expect(again.code).not.toBe(0);
  });

  it("--server-fetch: the server downloads the file and hashes it itself; the bundle says so", async () => {
    issuer = await startTestIssuer({ jwksPath: "/oauth/discovery/keys" });
    const host = new URL(issuer.issuer).host;
    // The artifact store: a real HTTP server on 127.0.0.1 serving the release file.
    const artifact = Buffer.from("the released bytes\n");
    const store = createServer((request, response) => {
      if (request.url === "/releases/app-2.0.tgz") response.writeHead(200).end(artifact);
      else response.writeHead(404).end();
    });
    await new Promise<void>((ready) => store.listen(0, "127.0.0.1", ready));
    const storeUrl = `http://127.0.0.1:${(store.address() as AddressInfo).port}`;
    try {
      const running = await startServer("gitlab", { fileSources: [{ url: `${storeUrl}/releases/` }] });
      const token = await issuer.sign(gitlabJobClaims(host, { job_id: "5007" }), { audience: AUDIENCE });
      const env = { GITLAB_CI: "true", PROVENANT_ID_TOKEN: token };
      const attest = await runCli(
        ["attest", "--server", running.url, "--token-audience", AUDIENCE, "--server-fetch", `${storeUrl}/releases/app-2.0.tgz`, "--json"],
        { cwd: dir, env },
      );
      expect(attest.stderr).toContain("1 fetched and hashed by the service");
      expect(JSON.parse(attest.stdout)).toMatchObject({ subjects: 1, hashedByService: 1 });
      await writeFile(join(dir, "app-2.0.tgz"), artifact);
      const verified = await runCli(
        ["verify", "app-2.0.tgz", "-b", "provenance.sigstore.json", "--source-uri", `${host}/acme/app`, "--service-key", join(running.config.dataDir, "signing.pub"), "--json"],
        { cwd: dir },
      );
      expect(verified.code).toBe(0);
      const bundle = JSON.parse(await readFile(join(dir, "provenance.sigstore.json"), "utf8")) as { dsseEnvelope: { payload: string } };
      const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, "base64").toString("utf8"));
      expect(statement.predicate.runDetails.metadata.provenant_subjectsHashedByService).toEqual([
        expect.objectContaining({ name: "app-2.0.tgz", uri: `${storeUrl}/releases/app-2.0.tgz` }),
      ]);
      const refused = await runCli(["attest", "--server", running.url, "--server-fetch", "registry.example/acme/app:latest"], { cwd: dir, env });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain("expected an image by digest");
    } finally {
      store.closeAllConnections();
      await new Promise((done) => store.close(done));
    }
  });

  it("fails clearly when the server is unreachable, and writes no bundle", async () => {
    issuer = await startTestIssuer();
    const env = { GITLAB_CI: "true", PROVENANT_ID_TOKEN: await issuer.sign({ project_path: "acme/app" }) };
    const result = await runCli(["attest", "app.tgz", "--server", "http://127.0.0.1:9", "--token-audience", AUDIENCE], { cwd: dir, env });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/cannot reach the vault/);
    await expect(stat(join(dir, "provenance.sigstore.json"))).rejects.toThrow();
  });

  it("refuses --key beside --server rather than signing with it", async () => {
    issuer = await startTestIssuer();
    const result = await runCli(["attest", "app.tgz", "--server", "http://127.0.0.1:9", "--key", "k.key"], { cwd: dir, env: { GITLAB_CI: "true" } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("leave out --key");
  });
});
