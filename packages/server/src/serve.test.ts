import { generateKeyPairSync } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
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
    const root = JSON.parse(await readFile(running.trustedRootPath, "utf8")) as { tlogs: { baseUrl: string }[]; provenant_serviceKeys: { keyId: string }[] };
    expect(root.tlogs[0]!.baseUrl).toBe(running.url);
    // The service-key marker names the key published as signing.pub.
    const { keyIdOf } = await import("@provenant/core");
    const servicePem = await readFile(join(dir, "data", "signing.pub"), "utf8");
    expect(root.provenant_serviceKeys.map((k) => k.keyId)).toEqual([keyIdOf((await import("node:crypto")).createPublicKey(servicePem))]);

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

  it("loads the policies in <data>/policies at start and serves them by name at POST /v1/verify", async () => {
    dir = await mkdtemp(join(tmpdir(), "provenant-serve-"));
    const signer = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const pem = signer.publicKey.export({ type: "spki", format: "pem" }) as string;
    await mkdir(join(dir, "data", "policies", "keys"), { recursive: true });
    await writeFile(join(dir, "data", "policies", "keys", "ci.pub"), pem);
    await writeFile(
      join(dir, "data", "policies", "local.yaml"),
      "apiVersion: provenant.dev/v1\ntrust:\n  keys:\n    - name: ci\n      file: keys/ci.pub\nrules:\n  - name: local builds\n    provenance:\n      builderIds: [local://test]\n",
    );
    running = await startVaultServer({ data: "data", listen: "127.0.0.1:0" }, {}, dir, { openVault: openConfiguredVault, logger: pino({ level: "silent" }) });
    expect(running.policies).toEqual(["local"]);
    const admin = { kind: "token" as const, subject: "cli", projects: ["*"], scope: "admin" as const };
    await running.vault.registerKey({ project: "acme/app", publicKeyPem: pem }, admin);
    const { bundle } = await attest(
      [{ name: "app.tgz", digest: { sha256: "e".repeat(64) } }],
      { buildDefinition: { buildType: "https://provenant.dev/buildtypes/local/v1", externalParameters: {} }, runDetails: { builder: { id: "local://test" } } },
      keySigner(signer.privateKey),
    );
    await running.vault.upload(bundle, { kind: "token", subject: "tok_ci", projects: ["acme/app"], scope: "upload" });
    const read = await running.vault.createToken({ project: "acme/app", scope: "read" }, "cli");
    const answer = await fetch(`${running.url}/v1/verify`, {
      method: "POST",
      headers: { authorization: `Bearer ${read.token}`, "content-type": "application/json" },
      body: JSON.stringify({ policy: "local", artifacts: [{ digest: `sha256:${"e".repeat(64)}` }], vsa: true }),
    });
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as { allowed: boolean; vsas: { verificationMaterial: { publicKey: { hint: string } } }[] };
    expect(body.allowed).toBe(true);
    // The VSA is signed by the server's signing key, the one published as signing.pub.
    const servicePem = await readFile(join(dir, "data", "signing.pub"), "utf8");
    const { keyIdOf } = await import("@provenant/core");
    expect(body.vsas[0]!.verificationMaterial.publicKey.hint).toBe(keyIdOf((await import("node:crypto")).createPublicKey(servicePem)));
  });

  it("refuses to start with a policy that does not load, naming it, and with two files for one policy name", async () => {
    dir = await mkdtemp(join(tmpdir(), "provenant-serve-"));
    await mkdir(join(dir, "data", "policies"), { recursive: true });
    await writeFile(join(dir, "data", "policies", "broken.yaml"), "apiVersion: provenant.dev/v1\nrules: []\n");
    const start = () => startVaultServer({ data: "data", listen: "127.0.0.1:0" }, {}, dir!, { openVault: openConfiguredVault, logger: pino({ level: "silent" }) });
    await expect(start()).rejects.toMatchObject({ code: "INVALID_POLICY", message: expect.stringContaining("broken.yaml") });
    await rm(join(dir, "data", "policies", "broken.yaml"));
    const policy = "apiVersion: provenant.dev/v1\ntrust:\n  keys:\n    - name: k\n      file: k.pub\nrules:\n  - name: r\n";
    await writeFile(join(dir, "data", "policies", "twice.yaml"), policy);
    await writeFile(join(dir, "data", "policies", "twice.json"), "{}");
    await expect(start()).rejects.toMatchObject({ code: "INVALID_POLICY", message: expect.stringContaining("both name the policy twice") });
  });
});
