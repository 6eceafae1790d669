import { createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { attest, type Bundle, keySigner } from "@provenant/core";
import { startTestIssuer, type TestIssuer } from "@provenant/oidc/testing";
import { verifyConsistency, verifyInclusion } from "@provenant/log";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import { openVault } from "../vault/open-vault.js";
import type { Vault } from "../vault/types.js";
import { createApp } from "./app.js";
import type { AppDeps } from "./context.js";

// Every test drives the real vault over a real SQLite file: the routes are
// checked for what a client sees (status, problem code, bodies), and the
// vault for what was (or was not) stored.

const ORIGIN = "127.0.0.1/provenant-test";
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Harness {
  vault: Vault;
  request(path: string, init?: RequestInit & { token?: string }): Promise<Response>;
  admin: string;
  upload: string;
  read: string;
  signer: KeyObject;
  logLines: string[];
  clock: { ms: number };
}

async function harness(options: Omit<Partial<AppDeps>, "vault"> = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), "provenant-app-"));
  const store = await openSqliteStore({ path: join(dir, "vault.sqlite") });
  const vault = await openVault({
    store,
    logKey: generateKeyPairSync("ed25519").privateKey,
    origin: ORIGIN,
    clock: () => new Date("2026-12-01T10:00:00Z"),
    batchWindowMs: 1,
  });
  cleanups.push(async () => {
    await vault.close();
    await rm(dir, { recursive: true, force: true });
  });
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  const clock = { ms: 1_000_000 };
  const app = createApp({ vault, logger: pino(sink), now: () => clock.ms, ...options });
  const admin = (await vault.createToken({ project: "*", scope: "admin" }, "cli")).token;
  const upload = (await vault.createToken({ project: "acme/app", scope: "upload" }, "cli")).token;
  const read = (await vault.createToken({ project: "acme/app", scope: "read" }, "cli")).token;
  const signer = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
  const adminCaller = (await vault.authenticateToken(admin))!;
  await vault.registerKey(
    { project: "acme/app", publicKeyPem: (await import("node:crypto")).createPublicKey(signer).export({ type: "spki", format: "pem" }) as string },
    adminCaller,
  );
  return {
    vault,
    admin,
    upload,
    read,
    signer,
    logLines,
    clock,
    request: (path, init = {}) => {
      const { token, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (token) headers.set("authorization", `Bearer ${token}`);
      return Promise.resolve(app.request(new Request(`http://vault.test${path}`, { ...rest, headers })));
    },
  };
}

const provenance = {
  buildDefinition: {
    buildType: "https://provenant.dev/buildtypes/local/v1",
    externalParameters: { command: "make" },
    resolvedDependencies: [{ uri: "git+https://github.com/acme/app@refs/heads/main", digest: { gitCommit: "0123456789abcdef0123456789abcdef01234567" } }],
  },
  runDetails: { builder: { id: "https://provenant.dev/builders/local" } },
};

async function signed(signer: KeyObject, hex = "a".repeat(64), name = "app.tgz"): Promise<{ bundle: Bundle; digest: string }> {
  const { bundle } = await attest([{ name, digest: { sha256: hex } }], provenance, keySigner(signer));
  return { bundle, digest: `sha256:${hex}` };
}

async function problemOf(response: Response): Promise<{ status: number; code: string; detail: string; type: string | null; raw: string }> {
  const raw = await response.text();
  const body = JSON.parse(raw) as { code: string; detail: string };
  return { status: response.status, code: body.code, detail: body.detail, type: response.headers.get("content-type"), raw };
}

function post(body: unknown, token?: string, contentType = "application/json"): RequestInit & { token?: string } {
  return { method: "POST", body: typeof body === "string" ? body : JSON.stringify(body), headers: { "content-type": contentType }, token };
}

describe("POST /v1/attestations", () => {
  it("stores a signed bundle, returns it with its log entry, and returns the same entry for the same envelope again", async () => {
    const h = await harness();
    const { bundle, digest } = await signed(h.signer);
    const first = await h.request("/v1/attestations", post(bundle, h.upload));
    expect(first.status).toBe(201);
    const created = (await first.json()) as { results: { created: boolean; logIndex: number; bundle: { verificationMaterial: { tlogEntries: { logIndex: string; inclusionProof: { checkpoint: { envelope: string } } }[] } } }[] };
    expect(created.results).toHaveLength(1);
    expect(created.results[0]!.created).toBe(true);
    const entry = created.results[0]!.bundle.verificationMaterial.tlogEntries[0]!;
    expect(Number(entry.logIndex)).toBe(created.results[0]!.logIndex);
    expect(entry.inclusionProof.checkpoint.envelope.startsWith(`${ORIGIN}\n`)).toBe(true);

    const again = await h.request("/v1/attestations", post(bundle, h.upload));
    expect(again.status).toBe(200);
    const repeated = (await again.json()) as { results: { created: boolean; logIndex: number }[] };
    expect(repeated.results[0]).toMatchObject({ created: false, logIndex: created.results[0]!.logIndex });

    const listed = await h.request(`/v1/attestations?digest=${digest}`, { token: h.read });
    const page = (await listed.json()) as { items: { logIndex: number; project: string }[] };
    expect(page.items.map((i) => [i.logIndex, i.project])).toEqual([[created.results[0]!.logIndex, "acme/app"]]);
  });

  it("accepts .intoto.jsonl lines, one entry per envelope", async () => {
    const h = await harness();
    const one = await signed(h.signer, "1".repeat(64));
    const two = await signed(h.signer, "2".repeat(64));
    const lines = `${JSON.stringify(one.bundle.dsseEnvelope)}\n${JSON.stringify(two.bundle.dsseEnvelope)}\n`;
    const response = await h.request("/v1/attestations", post(lines, h.upload, "application/x-ndjson"));
    expect(response.status).toBe(201);
    const body = (await response.json()) as { results: { logIndex: number }[] };
    expect(body.results.map((r) => r.logIndex).sort()).toEqual([0, 1]);
  });

  it("takes an .intoto.jsonl body all or none: one line signed by an unregistered key stores none of the lines", async () => {
    const h = await harness();
    const stranger = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    const good = await signed(h.signer, "3".repeat(64));
    const bad = await signed(stranger, "4".repeat(64));
    const lines = `${JSON.stringify(good.bundle.dsseEnvelope)}\n${JSON.stringify(bad.bundle.dsseEnvelope)}\n`;
    expect(await problemOf(await h.request("/v1/attestations", post(lines, h.upload, "application/x-ndjson")))).toMatchObject({ status: 422, code: "UNTRUSTED_KEY" });
    const listed = (await (await h.request(`/v1/attestations?digest=${good.digest}`, { token: h.read })).json()) as { items: unknown[] };
    expect(listed.items).toEqual([]);
    const checkpoint = (await (await h.request("/v1/log/checkpoint", { token: h.read })).json()) as { treeSize: number };
    expect(checkpoint.treeSize).toBe(0);
  });

  it("refuses an envelope signed by a key not registered for the caller's project, and stores nothing", async () => {
    const h = await harness();
    const stranger = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    const { bundle, digest } = await signed(stranger);
    const refused = await problemOf(await h.request("/v1/attestations", post(bundle, h.upload)));
    expect(refused).toMatchObject({ status: 422, code: "UNTRUSTED_KEY", type: "application/problem+json" });
    const listed = (await (await h.request(`/v1/attestations?digest=${digest}`, { token: h.read })).json()) as { items: unknown[] };
    expect(listed.items).toEqual([]);
    const checkpoint = (await (await h.request("/v1/log/checkpoint", { token: h.read })).json()) as { treeSize: number };
    expect(checkpoint.treeSize).toBe(0);
  });

  it("needs a token with upload scope: none is 401, a read token 403, an unknown token 401", async () => {
    const h = await harness();
    const { bundle } = await signed(h.signer);
    expect(await problemOf(await h.request("/v1/attestations", post(bundle)))).toMatchObject({ status: 401, code: "UNAUTHENTICATED" });
    expect(await problemOf(await h.request("/v1/attestations", post(bundle, h.read)))).toMatchObject({ status: 403, code: "FORBIDDEN" });
    expect(await problemOf(await h.request("/v1/attestations", post(bundle, "pvt_not-a-real-token")))).toMatchObject({ status: 401, code: "UNAUTHENTICATED" });
  });

  it("refuses malformed, too deep and too large bodies with a coded problem and no stack trace", async () => {
    const h = await harness({ limits: { maxBodyBytes: 20_000, maxJsonDepth: 16 } });
    const bad = await problemOf(await h.request("/v1/attestations", post("{not json", h.upload)));
    expect(bad).toMatchObject({ status: 400, code: "MALFORMED_JSON" });
    const deep = await problemOf(await h.request("/v1/attestations", post(`${"[".repeat(40)}${"]".repeat(40)}`, h.upload)));
    expect(deep).toMatchObject({ status: 400, code: "MALFORMED_JSON" });
    expect(deep.detail).toContain("16 levels");
    const large = await problemOf(await h.request("/v1/attestations", post(JSON.stringify({ pad: "x".repeat(30_000) }), h.upload)));
    expect(large).toMatchObject({ status: 413, code: "PAYLOAD_TOO_LARGE" });
    const notABundle = await problemOf(await h.request("/v1/attestations", post({ hello: "world" }, h.upload)));
    expect(notABundle.status).toBe(400);
    for (const p of [bad, deep, large, notABundle]) expect(p.raw).not.toMatch(/\bat .+\.(ts|js):\d+/);
  });
});

describe("reads", () => {
  it("answers by index, 404 as a problem for an index not in the log, and validates the digest", async () => {
    const h = await harness();
    const { bundle } = await signed(h.signer);
    await h.request("/v1/attestations", post(bundle, h.upload));
    const found = (await (await h.request("/v1/attestations/0", { token: h.read })).json()) as { logIndex: number; predicateType: string };
    expect(found).toMatchObject({ logIndex: 0, predicateType: "https://slsa.dev/provenance/v1" });
    expect(await problemOf(await h.request("/v1/attestations/7", { token: h.read }))).toMatchObject({ status: 404, code: "NOT_FOUND" });
    const bad = await problemOf(await h.request("/v1/attestations?digest=sha256:XYZ", { token: h.read }));
    expect(bad).toMatchObject({ status: 400, code: "USAGE" });
    expect(bad.detail).toContain("digest");
  });

  it("lists artifacts with the names seen and attestations by type", async () => {
    const h = await harness();
    await h.request("/v1/attestations", post((await signed(h.signer, "c".repeat(64), "app-1.0.tgz")).bundle, h.upload));
    const page = (await (await h.request("/v1/artifacts", { token: h.read })).json()) as { items: { digest: string; names: string[]; attestationsByType: Record<string, number> }[] };
    expect(page.items).toEqual([
      expect.objectContaining({ digest: `sha256:${"c".repeat(64)}`, names: ["app-1.0.tgz"], attestationsByType: { "https://slsa.dev/provenance/v1": 1 } }),
    ]);
  });

  it("shows a project's read token only its own project's attestations; a `*` read token and public read see every project", async () => {
    const h = await harness();
    const adminCaller = (await h.vault.authenticateToken(h.admin))!;
    const otherSigner = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    await h.vault.registerKey(
      { project: "acme/secret", publicKeyPem: createPublicKey(otherSigner).export({ type: "spki", format: "pem" }) as string },
      adminCaller,
    );
    const secretUpload = (await h.vault.createToken({ project: "acme/secret", scope: "upload" }, "cli")).token;
    const readAll = (await h.vault.createToken({ project: "*", scope: "read" }, "cli")).token;
    const digest = "d".repeat(64);
    await h.request("/v1/attestations", post((await signed(h.signer, digest, "app.tgz")).bundle, h.upload));
    await h.request("/v1/attestations", post((await signed(otherSigner, digest, "secret-service.tgz")).bundle, secretUpload));

    const indexes = async (token: string) =>
      ((await (await h.request(`/v1/attestations?digest=sha256:${digest}`, { token })).json()) as { items: { logIndex: number }[] }).items.map((i) => i.logIndex);
    const names = async (token: string) =>
      ((await (await h.request("/v1/artifacts", { token })).json()) as { items: { names: string[] }[] }).items.flatMap((i) => i.names);
    expect(await indexes(h.read)).toEqual([0]);
    expect(await names(h.read)).toEqual(["app.tgz"]);
    // The other project's entry answers exactly as a missing one.
    expect(await problemOf(await h.request("/v1/attestations/1", { token: h.read }))).toMatchObject({ status: 404, code: "NOT_FOUND" });
    expect(await indexes(readAll)).toEqual([0, 1]);
    expect((await names(readAll)).sort()).toEqual(["app.tgz", "secret-service.tgz"]);
    expect((await h.request("/v1/attestations/1", { token: readAll })).status).toBe(200);

    const open = await harness({ publicRead: true });
    await open.request("/v1/attestations", post((await signed(open.signer, digest)).bundle, open.upload));
    expect((await open.request("/v1/attestations/0")).status).toBe(200);

    // An upload token always names one project.
    await expect(h.vault.createToken({ project: "*", scope: "upload" }, "cli")).rejects.toMatchObject({ code: "USAGE" });
  });

  it("needs a token unless public read is on; writes need one either way", async () => {
    const closed = await harness();
    expect(await problemOf(await closed.request("/v1/log/checkpoint"))).toMatchObject({ status: 401, code: "UNAUTHENTICATED" });
    const open = await harness({ publicRead: true });
    expect((await open.request("/v1/log/checkpoint")).status).toBe(200);
    expect((await open.request(`/v1/attestations?digest=sha256:${"a".repeat(64)}`)).status).toBe(200);
    const { bundle } = await signed(open.signer);
    expect(await problemOf(await open.request("/v1/attestations", post(bundle)))).toMatchObject({ status: 401, code: "UNAUTHENTICATED" });
  });

  it("rate-limits each caller with the injected clock and says when to retry", async () => {
    const h = await harness({ limits: { rateLimit: { requests: 2, windowMs: 10_000 } } });
    expect((await h.request("/v1/log/checkpoint", { token: h.read })).status).toBe(200);
    expect((await h.request("/v1/log/checkpoint", { token: h.read })).status).toBe(200);
    const limited = await h.request("/v1/log/checkpoint", { token: h.read });
    expect(limited.headers.get("retry-after")).toBe("5");
    expect(await problemOf(limited)).toMatchObject({ status: 429, code: "RATE_LIMITED" });
    // Another caller is not affected.
    expect((await h.request("/v1/log/checkpoint", { token: h.upload })).status).toBe(200);
    h.clock.ms += 5_000;
    expect((await h.request("/v1/log/checkpoint", { token: h.read })).status).toBe(200);
  });
});

describe("the log", () => {
  it("serves checkpoints, inclusion proofs by index and leaf hash, consistency proofs and C2SP tiles that all verify", async () => {
    const h = await harness();
    for (const hex of ["1", "2", "3"]) await h.request("/v1/attestations", post((await signed(h.signer, hex.repeat(64))).bundle, h.upload));
    const cp = (await (await h.request("/v1/log/checkpoint", { token: h.read })).json()) as { treeSize: number; checkpoint: string };
    expect(cp.treeSize).toBe(3);
    expect(await (await h.request("/checkpoint", { token: h.read })).text()).toBe(cp.checkpoint);

    const tile = new Uint8Array(await (await h.request("/tile/0/000.p/3", { token: h.read })).arrayBuffer());
    expect(tile.length).toBe(96);
    const leaves = [0, 1, 2].map((i) => tile.slice(i * 32, i * 32 + 32));
    const entries = await h.request("/tile/entries/000.p/3", { token: h.read });
    expect(entries.status).toBe(200);

    const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
    const byIndex = (await (await h.request("/v1/log/inclusion-proof?logIndex=1", { token: h.read })).json()) as { treeSize: number; rootHash: string; hashes: string[] };
    const byLeaf = (await (await h.request(`/v1/log/inclusion-proof?leafHash=${hex(leaves[1]!)}`, { token: h.read })).json()) as typeof byIndex;
    expect(byLeaf).toEqual(byIndex);
    const root = Buffer.from(byIndex.rootHash, "hex");
    expect(verifyInclusion(leaves[1]!, 1, 3, byIndex.hashes.map((x) => Buffer.from(x, "hex")), root)).toBe(true);
    expect(verifyInclusion(leaves[0]!, 1, 3, byIndex.hashes.map((x) => Buffer.from(x, "hex")), root)).toBe(false);

    const older = (await (await h.request("/v1/log/inclusion-proof?logIndex=0&treeSize=1", { token: h.read })).json()) as typeof byIndex;
    const consistency = (await (await h.request("/v1/log/consistency-proof?from=1&to=3", { token: h.read })).json()) as { hashes: string[] };
    expect(verifyConsistency(1, 3, Buffer.from(older.rootHash, "hex"), root, consistency.hashes.map((x) => Buffer.from(x, "hex")))).toBe(true);

    expect(await problemOf(await h.request("/v1/log/consistency-proof?from=3&to=1", { token: h.read }))).toMatchObject({ status: 400, code: "USAGE" });
    expect(await problemOf(await h.request("/tile/0/12", { token: h.read }))).toMatchObject({ status: 400, code: "USAGE" });
    expect(await problemOf(await h.request("/tile/0/001", { token: h.read }))).toMatchObject({ status: 404, code: "NOT_FOUND" });
  });
});

describe("administration", () => {
  it("registers keys and creates tokens for admins only; a created token works at once", async () => {
    const h = await harness();
    const other = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const pem = other.publicKey.export({ type: "spki", format: "pem" }) as string;
    expect(await problemOf(await h.request("/v1/keys", post({ project: "acme/lib", publicKeyPem: pem }, h.upload)))).toMatchObject({ status: 403, code: "FORBIDDEN" });
    const registered = await h.request("/v1/keys", post({ project: "acme/lib", publicKeyPem: pem }, h.admin));
    expect(registered.status).toBe(201);
    expect(((await registered.json()) as { keyId: string }).keyId).toMatch(/^[0-9a-f]{64}$/);
    expect(await problemOf(await h.request("/v1/keys", post({ project: "acme/lib" }, h.admin)))).toMatchObject({ status: 400, code: "USAGE" });

    const tokenResponse = await h.request("/v1/tokens", post({ project: "acme/lib", scope: "upload" }, h.admin));
    expect(tokenResponse.status).toBe(201);
    const { token } = (await tokenResponse.json()) as { token: string };
    const { bundle } = await signed(other.privateKey, "d".repeat(64));
    expect((await h.request("/v1/attestations", post(bundle, token))).status).toBe(201);
    // The token was sent in requests; it never reaches the log.
    expect(h.logLines.join("")).not.toContain(token);
    expect(h.logLines.join("")).not.toContain(h.admin);
  });

  it("lists tokens without their secrets and revokes one over the API (admin only); a revoked token is refused at once", async () => {
    const h = await harness();
    const created = (await (await h.request("/v1/tokens", post({ project: "acme/app", scope: "read", name: "to revoke" }, h.admin))).json()) as { id: string; token: string };
    expect((await h.request("/v1/artifacts", { token: created.token })).status).toBe(200);
    expect(await problemOf(await h.request("/v1/tokens", { token: h.upload }))).toMatchObject({ status: 403, code: "FORBIDDEN" });
    const listed = await h.request("/v1/tokens", { token: h.admin });
    expect(listed.status).toBe(200);
    const body = await listed.text();
    expect(JSON.parse(body).tokens).toEqual(expect.arrayContaining([expect.objectContaining({ id: created.id, scope: "read", name: "to revoke" })]));
    expect(body).not.toContain("pvt_");
    expect(await problemOf(await h.request(`/v1/tokens/${created.id}`, { method: "DELETE", token: h.upload }))).toMatchObject({ status: 403, code: "FORBIDDEN" });
    expect((await h.request(`/v1/tokens/${created.id}`, { method: "DELETE", token: h.admin })).status).toBe(204);
    expect(await problemOf(await h.request("/v1/artifacts", { token: created.token }))).toMatchObject({ status: 401 });
    expect(await problemOf(await h.request(`/v1/tokens/${created.id}`, { method: "DELETE", token: h.admin }))).toMatchObject({ status: 404, code: "NOT_FOUND" });
  });
});

describe("CI OIDC tokens", () => {
  let issuer: TestIssuer | undefined;
  afterEach(async () => {
    await issuer?.close();
    issuer = undefined;
  });

  it("upload for the project named by the configured claim, and only with the server's audience", async () => {
    issuer = await startTestIssuer();
    const h = await harness({ oidc: { audience: "provenant-vault", issuers: [{ issuer: issuer.issuer, projectClaim: "repository" }] } });
    const { bundle } = await signed(h.signer);
    const good = await issuer.sign({ sub: "repo:acme/app:ref:refs/heads/main", repository: "acme/app" }, { audience: "provenant-vault" });
    expect((await h.request("/v1/attestations", post(bundle, good))).status).toBe(201);
    const otherProject = await issuer.sign({ sub: "repo:evil/app", repository: "evil/app" }, { audience: "provenant-vault" });
    expect(await problemOf(await h.request("/v1/attestations", post((await signed(h.signer, "e".repeat(64))).bundle, otherProject)))).toMatchObject({
      status: 422,
      code: "UNTRUSTED_KEY",
    });
    const wrongAudience = await issuer.sign({ sub: "x", repository: "acme/app" }, { audience: "something-else" });
    expect(await problemOf(await h.request("/v1/attestations", post(bundle, wrongAudience)))).toMatchObject({ status: 401, code: "TOKEN_INVALID" });
    // An OIDC token never gets more than upload scope.
    expect(await problemOf(await h.request("/v1/tokens", post({ project: "acme/app", scope: "admin" }, good)))).toMatchObject({ status: 403, code: "FORBIDDEN" });
  });
});

describe("operations", () => {
  it("documents every route in /openapi.json and /docs, and reports health, readiness and metrics", async () => {
    const h = await harness();
    const doc = (await (await h.request("/openapi.json")).json()) as { paths: Record<string, unknown> };
    for (const path of ["/v1/attestations", "/v1/attestations/{logIndex}", "/v1/artifacts", "/v1/log/checkpoint", "/v1/log/inclusion-proof", "/v1/log/consistency-proof", "/v1/keys", "/v1/tokens", "/checkpoint", "/tile/{path}"]) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    const page = await (await h.request("/docs")).text();
    expect(page).toContain("/v1/attestations/{logIndex}");
    expect(page).not.toMatch(/<script|https?:\/\/(?!vault)/i);
    expect((await h.request("/healthz")).status).toBe(200);
    expect((await h.request("/readyz")).status).toBe(200);

    await h.request("/v1/attestations", post((await signed(h.signer)).bundle, h.upload));
    await h.request(`/v1/attestations?digest=sha256:${"a".repeat(64)}`, { token: h.read });
    const metrics = await (await h.request("/metrics")).text();
    expect(metrics).toContain('provenant_uploads_total{result="created"} 1');
    expect(metrics).toContain("provenant_log_size 1");
    expect(metrics).toMatch(/provenant_query_duration_seconds_count\{route="attestations_by_digest"\} 1/);
  });

  it("answers unknown routes with a problem, never HTML or a stack", async () => {
    const h = await harness();
    expect(await problemOf(await h.request("/v2/nothing", { token: h.read }))).toMatchObject({ status: 404, code: "NOT_FOUND", type: "application/problem+json" });
  });
});
