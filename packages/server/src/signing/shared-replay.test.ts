import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keySigner } from "@provenant/core";
import { startTestIssuer, type TestIssuer } from "@provenant/oidc/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../http/app.js";
import { provenanceRequester } from "../test-support/provenance-request.js";
import { openPostgresStore } from "../store/postgres/postgres-store.js";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import type { Store } from "../store/store.js";
import { gitlabJobClaims } from "../test-support/job-claims.js";
import { startTestPostgres, type TestPostgres } from "../test-support/postgres.js";
import { openVault } from "../vault/open-vault.js";
import type { Vault } from "../vault/types.js";
import { databaseReplayStore, type TokenIdTable } from "./replay.js";
import { signingDepsWithDefaults } from "./sign-provenance.js";

// Two replicas (two vaults, two apps) on ONE database, as `provenant server`
// replicas share PostgreSQL (or two processes share a SQLite file): a job
// token accepted by one is refused by the other, also when both race.
const NOW = new Date("2026-12-01T12:00:00Z");
const nowSeconds = NOW.getTime() / 1000;
const AUDIENCE = "https://vault.example.com";
const signingKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;

let gitlab: TestIssuer;
let postgres: TestPostgres;
let dir: string;
beforeAll(async () => {
  [gitlab, postgres] = await Promise.all([startTestIssuer({ defaultAudience: AUDIENCE, jwksPath: "/oauth/discovery/keys" }), startTestPostgres()]);
  dir = await mkdtemp(join(tmpdir(), "provenant-replay-"));
}, 120_000);
afterAll(async () => {
  await Promise.all([gitlab?.close(), postgres?.stop()]);
  await rm(dir, { recursive: true, force: true });
});

const backends: [string, () => Promise<() => Promise<Store>>][] = [
  [
    "sqlite",
    async () => {
      const path = join(dir, `${Math.random().toString(36).slice(2)}.sqlite`);
      return async () => openSqliteStore({ path });
    },
  ],
  [
    "postgres",
    async () => {
      const connectionString = await postgres.createDatabase();
      return () => openPostgresStore({ connectionString });
    },
  ],
];

const claims = (overrides: Record<string, unknown> = {}) =>
  gitlabJobClaims(new URL(gitlab.issuer).host, { iat: nowSeconds - 5, nbf: nowSeconds - 5, exp: nowSeconds + 300, ...overrides });

describe.each(backends)("the replay store in the vault's database: %s", (_backend, fresh) => {
  const vaults: Vault[] = [];
  afterAll(async () => {
    for (const vault of vaults) await vault.close();
  });

  async function replica(open: () => Promise<Store>) {
    const vault = await openVault({
      store: await open(),
      logKey: generateKeyPairSync("ed25519").privateKey,
      origin: "127.0.0.1/provenant-test",
      signingKey,
      clock: () => NOW,
      batchWindowMs: 1,
    });
    vaults.push(vault);
    const signing = signingDepsWithDefaults({
      config: { trustedIssuers: [{ issuer: gitlab.issuer, platform: "gitlab", audiences: [AUDIENCE], repositories: ["acme/*"] }] },
      signer: keySigner(signingKey),
      clock: () => NOW,
      replay: databaseReplayStore(vault, () => NOW),
    });
    const app = createApp({ vault, signing, baseUrl: "http://127.0.0.1/provenant-test" });
    const request = provenanceRequester(app);
    const post = (token: string, sha256: string) => request(token, { subjects: [{ name: "app.tgz", digest: { sha256 } }] });
    return { vault, post };
  }

  it("accepts a token exactly once when two replicas race on it; the other answers 409 TOKEN_REPLAYED and stores nothing", async () => {
    const open = await fresh();
    const [a, b] = [await replica(open), await replica(open)];
    for (let round = 0; round < 3; round++) {
      const token = await gitlab.sign(claims());
      const [digestA, digestB] = [String(round).padEnd(64, "a"), String(round).padEnd(64, "b")];
      const answers = await Promise.all([a.post(token, digestA), b.post(token, digestB)]);
      expect(answers.map((r) => r.status).sort()).toEqual([201, 409]);
      const refused = answers.find((r) => r.status === 409)!;
      expect(refused.headers.get("content-type")).toContain("application/problem+json");
      expect(await refused.json()).toMatchObject({ code: "TOKEN_REPLAYED" });
      const stored = [
        ...(await a.vault.findByDigest({ digest: `sha256:${digestA}` })).items,
        ...(await a.vault.findByDigest({ digest: `sha256:${digestB}` })).items,
      ];
      expect(stored).toHaveLength(1);
    }
  });

  it("refuses on one replica a token another accepted earlier, and accepts a fresh token on either", async () => {
    const open = await fresh();
    const [a, b] = [await replica(open), await replica(open)];
    const token = await gitlab.sign(claims());
    expect((await a.post(token, "1".repeat(64))).status).toBe(201);
    const again = await b.post(token, "2".repeat(64));
    expect(await again.json()).toMatchObject({ status: 409, code: "TOKEN_REPLAYED" });
    expect((await b.post(await gitlab.sign(claims()), "3".repeat(64))).status).toBe(201);
    expect((await a.vault.findByDigest({ digest: `sha256:${"2".repeat(64)}` })).items).toHaveLength(0);
  });

  it("prunes expired token ids on the injected clock, at most once per interval", async () => {
    const open = await fresh();
    const { vault } = await replica(open);
    let now = NOW;
    const prunes: Promise<number>[] = [];
    const table: TokenIdTable = {
      rememberTokenId: (key, expiresAt, at) => vault.rememberTokenId(key, expiresAt, at),
      pruneTokenIds: (at) => {
        const pruned = vault.pruneTokenIds(at);
        prunes.push(pruned);
        return pruned;
      },
    };
    const replay = databaseReplayStore(table, () => now, { pruneEverySeconds: 60 });
    expect(await replay.remember("iss\njti-1", nowSeconds + 30)).toBe(true);
    expect(await replay.remember("iss\njti-2", nowSeconds + 500)).toBe(true);
    expect(prunes).toHaveLength(1);
    now = new Date(NOW.getTime() + 61_000);
    expect(await replay.remember("iss\njti-1", nowSeconds + 400)).toBe(true);
    expect(await replay.remember("iss\njti-2", nowSeconds + 500)).toBe(false);
    expect(prunes).toHaveLength(2);
    // jti-1's first row had expired; it was replaced (not pruned) by its new use. Nothing else had expired.
    expect(await prunes[1]).toBe(0);
    now = new Date(NOW.getTime() + 1_000_000);
    expect(await replay.remember("iss\njti-3", nowSeconds + 2_000_000)).toBe(true);
    expect(await prunes[2]).toBe(2);
  });
});
