import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { attest, keySigner } from "@provenant/core";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { startVaultServer, type VaultServer } from "./serve.js";
import { openSqliteStore } from "./store/sqlite/sqlite-store.js";
import { openConfiguredVault, SQLITE_FILE } from "./vault/open-configured-vault.js";

let running: VaultServer | undefined;
let dir: string | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("startVaultServer", () => {
  it("binds 127.0.0.1 on a free port, creates keys and the trusted root, and audits writes with the caller and remote address", async () => {
    dir = await mkdtemp(join(tmpdir(), "provenant-serve-"));
    running = await startVaultServer({ data: "data", listen: "127.0.0.1:0" }, {}, dir, { openVault: openConfiguredVault, logger: pino({ level: "silent" }) });
    expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(running.url).not.toMatch(/:0$/);
    expect((await stat(join(dir, "data", "log.key"))).mode & 0o777).toBe(0o600);
    const root = JSON.parse(await readFile(running.trustedRootPath, "utf8")) as { tlogs: { baseUrl: string }[] };
    expect(root.tlogs[0]!.baseUrl).toBe(running.url);

    const signer = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    const admin = await running.vault.createToken({ project: "*", scope: "admin" }, "cli");
    const pem = (await import("node:crypto")).createPublicKey(signer).export({ type: "spki", format: "pem" }) as string;
    const registered = await fetch(`${running.url}/v1/keys`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin.token}`, "content-type": "application/json" },
      body: JSON.stringify({ project: "acme/app", publicKeyPem: pem }),
    });
    expect(registered.status).toBe(201);
    const upload = await running.vault.createToken({ project: "acme/app", scope: "upload" }, "cli");
    const { bundle } = await attest(
      [{ name: "app.tgz", digest: { sha256: "f".repeat(64) } }],
      { buildDefinition: { buildType: "https://provenant.dev/buildtypes/local/v1", externalParameters: {} }, runDetails: { builder: { id: "local://test" } } },
      keySigner(signer),
    );
    const uploaded = await fetch(`${running.url}/v1/attestations`, {
      method: "POST",
      headers: { authorization: `Bearer ${upload.token}`, "content-type": "application/json" },
      body: JSON.stringify(bundle),
    });
    expect(uploaded.status).toBe(201);
    const url = running.url;
    await running.close();
    running = undefined;
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();

    // The audit table, read back from the file the server wrote.
    const store = openSqliteStore({ path: join(dir, "data", SQLITE_FILE) });
    try {
      const audit = await store.auditLog({ limit: 100 });
      const writes = audit.filter((row) => row.action !== "token.create");
      expect(writes.map((row) => [row.actor, row.from])).toEqual([
        [admin.id, "127.0.0.1"],
        [upload.id, "127.0.0.1"],
      ]);
    } finally {
      await store.close();
    }
  });
});
