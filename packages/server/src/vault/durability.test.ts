import { spawn } from "node:child_process";
import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { verifyConsistency } from "@provenant/log";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPostgresStore } from "../store/postgres/postgres-store.js";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import type { Store } from "../store/store.js";
import { signedProvenance, testSigner } from "../test-support/attestations.js";
import { auditVaultLog } from "../test-support/log-audit.js";
import { type TestPostgres, startTestPostgres } from "../test-support/postgres.js";
import { openVault } from "./open-vault.js";

const ORIGIN = "vault.test/durability";
const CLOCK = () => new Date("2026-03-01T12:00:00Z");
const packageDir = fileURLToPath(new URL("../..", import.meta.url));
const child = fileURLToPath(new URL("../test-support/durability-child.ts", import.meta.url));
const admin = { kind: "token" as const, subject: "tok_admin", projects: ["*"], scope: "admin" as const };
const uploader = { kind: "token" as const, subject: "tok_ci", projects: ["acme/app"], scope: "upload" as const };
/** Acknowledged uploads to see before the kill: enough for many batches, several tiles' worth of hashes. */
const ACKS_BEFORE_KILL = 300;

interface Ack {
  logIndex: number;
  leafHash: string;
  treeSize: number;
  rootHash: string;
}

/** Runs the child vault until it acknowledged `count` uploads, then SIGKILLs it mid-stream. */
function runAndKill(target: string, env: NodeJS.ProcessEnv, count: number): Promise<Ack[]> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ["--import", "tsx", child, target, ORIGIN, String(process.pid)], {
      cwd: packageDir,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    let killed = false;
    proc.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
      if (!killed && out.split("\n").length > count + 2) {
        killed = true;
        proc.kill("SIGKILL");
      }
    });
    proc.stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString("utf8");
    });
    proc.on("error", reject);
    proc.on("exit", (code, signal) => {
      if (signal !== "SIGKILL") return reject(new Error(`the child vault exited (${code}) before the kill:\n${err}`));
      // Only whole lines were acknowledgements; a torn last line was cut by the kill.
      const lines = out.split("\n").slice(0, -1);
      resolve(lines.map((l) => JSON.parse(l)).filter((l) => l.ready === undefined));
    });
  });
}

async function killAndRecover(openStore: () => Promise<Store>, target: string) {
  const logKey = generateKeyPairSync("ed25519").privateKey;
  const trusted = { origin: ORIGIN, publicKey: createPublicKey(logKey) };
  const signer = testSigner();
  {
    const vault = await openVault({ store: await openStore(), logKey, origin: ORIGIN, clock: CLOCK, batchWindowMs: 1 });
    await vault.registerKey({ project: "acme/app", publicKeyPem: signer.publicKeyPem }, admin);
    await vault.close();
  }
  const acks = await runAndKill(
    target,
    {
      DURABILITY_LOG_KEY: logKey.export({ type: "pkcs8", format: "pem" }) as string,
      DURABILITY_SIGNER_KEY: signer.privateKey.export({ type: "pkcs8", format: "pem" }) as string,
    },
    ACKS_BEFORE_KILL,
  );
  expect(acks.length).toBeGreaterThanOrEqual(ACKS_BEFORE_KILL);

  const vault = await openVault({ store: await openStore(), logKey, origin: ORIGIN, clock: CLOCK, batchWindowMs: 1 });
  try {
    // Every acknowledged upload is there, at the index it was given.
    for (const ack of acks) expect((await vault.getByIndex(ack.logIndex))?.leafHash).toBe(ack.leafHash);
    // The log restarts where the commit left it and keeps appending.
    const after = await vault.upload(await signedProvenance(signer, "after restart"), uploader);
    expect(after.attestation.logIndex).toBeGreaterThan(Math.max(...acks.map((a) => a.logIndex)));
    // It verifies from entry 0: tiles, signature, and the root recomputed from every entry.
    const handedOut = new Map(acks.map((a) => [a.treeSize, a.rootHash]));
    const seen = [...handedOut].map(([size, root]) => ({ size, rootHash: new Uint8Array(Buffer.from(root, "base64")) }));
    const audit = await auditVaultLog(vault, trusted, seen);
    expect(audit.size).toBe(after.attestation.logIndex + 1);
    // @provenant/log's auditor: tiles, entries and consistency with every checkpoint seen before the crash.
    expect(audit.logAudit).toMatchObject({ size: audit.size, consistent: true });
    expect(Buffer.from(audit.independentRoot).toString("hex")).toBe(Buffer.from(audit.rootHash).toString("hex"));
    expect(Buffer.from(audit.tileRoot).toString("hex")).toBe(Buffer.from(audit.rootHash).toString("hex"));
    // And, by consistency proofs, the new checkpoint is consistent with every checkpoint handed out before the crash.
    expect(handedOut.size).toBeGreaterThan(1);
    for (const [size, root] of handedOut) {
      const proof = (await vault.consistencyProof(size, audit.size)).map((h) => Buffer.from(h, "hex"));
      expect(verifyConsistency(size, audit.size, Buffer.from(root, "base64"), audit.rootHash, proof), `checkpoint of size ${size}`).toBe(true);
    }
  } finally {
    await vault.close();
  }
}

describe("durability: kill -9 mid-stream of concurrent uploads, then reopen", () => {
  let postgres: TestPostgres;
  const dir = mkdtempSync(join(tmpdir(), "provenant-durability-"));
  beforeAll(async () => {
    postgres = await startTestPostgres();
  }, 120_000);
  afterAll(async () => {
    await postgres?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("SQLite: every acknowledged entry survives and the log stays consistent", async () => {
    const path = join(dir, "vault.sqlite");
    await killAndRecover(async () => openSqliteStore({ path }), `sqlite:${path}`);
  }, 300_000);

  it("PostgreSQL: every acknowledged entry survives and the log stays consistent", async () => {
    const url = await postgres.createDatabase();
    await killAndRecover(() => openPostgresStore({ connectionString: url }), url);
  }, 300_000);
});
