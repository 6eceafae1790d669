import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startTestIssuer, type TestIssuer } from "@provenant/oidc/testing";
import { createApp, openSqliteStore, openVault, type RunningServer, serve, type Vault } from "@provenant/server";
import { afterEach, describe, expect, it } from "vitest";
import { runCli, scratch } from "../test-support.js";

// attest --upload against a real vault on 127.0.0.1 that accepts CI OIDC
// tokens from a real (local) issuer, as a GitHub Actions job would use it.
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function vaultAcceptingOidc(issuer: TestIssuer, dir: string): Promise<{ url: string; vault: Vault }> {
  const store = await openSqliteStore({ path: join(dir, "vault.sqlite") });
  const vault = await openVault({ store, logKey: generateKeyPairSync("ed25519").privateKey, origin: "127.0.0.1/upload-test", clock: () => new Date(), batchWindowMs: 1 });
  const app = createApp({ vault, oidc: { audience: "provenant-vault", issuers: [{ issuer: issuer.issuer, projectClaim: "repository" }] } });
  const running: RunningServer = await serve(app, { host: "127.0.0.1", port: 0 });
  cleanups.push(async () => {
    await running.close();
    await vault.close();
  });
  return { url: running.url, vault };
}

describe("attest --upload", () => {
  it("uploads with the job's OIDC token on GitHub Actions and writes back the bundle with its log entry", async () => {
    const issuer = await startTestIssuer();
    cleanups.push(() => issuer.close());
    const { dir, cleanup } = await scratch();
    cleanups.push(cleanup);
    const { url, vault } = await vaultAcceptingOidc(issuer, dir);
    issuer.setTokenEndpointClaims({ sub: "repo:acme/app:ref:refs/heads/main", repository: "acme/app" });

    const signer = generateKeyPairSync("ec", { namedCurve: "P-256" });
    await writeFile(join(dir, "k.key"), signer.privateKey.export({ type: "pkcs8", format: "pem" }));
    await writeFile(join(dir, "app.tgz"), "artifact");
    const admin = (await vault.authenticateToken((await vault.createToken({ project: "*", scope: "admin" }, "cli")).token))!;
    await vault.registerKey({ project: "acme/app", publicKeyPem: createPublicKey(signer.privateKey).export({ type: "spki", format: "pem" }) as string }, admin);

    const env = { ACTIONS_ID_TOKEN_REQUEST_URL: issuer.tokenUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: issuer.requestToken };
    const result = await runCli(["attest", "app.tgz", "--key", "k.key", "--platform", "local", "--upload", url], { cwd: dir, env });
    expect(result.stderr).toContain("uploaded: log index 0");
    expect(result.code).toBe(0);
    const bundle = JSON.parse(await readFile(join(dir, "provenance.sigstore.json"), "utf8")) as { verificationMaterial: { tlogEntries?: unknown[] } };
    expect(bundle.verificationMaterial.tlogEntries).toHaveLength(1);
    // The token was asked for the vault's audience.
    expect(issuer.requests.some((r) => r.path.includes("audience=provenant-vault"))).toBe(true);

    // Without any token there is nothing to upload with: a clear refusal, and the local bundle stays.
    const none = await runCli(["attest", "app.tgz", "--key", "k.key", "--platform", "local", "--bundle", "b.json", "--upload", url], { cwd: dir, env: {} });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("[UNAUTHENTICATED]");
    expect(JSON.parse(await readFile(join(dir, "b.json"), "utf8"))).toHaveProperty("dsseEnvelope");
  });
});
