import { createHash, createPublicKey, generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keySigner, verify } from "@provenant/core";
import { startTestIssuer, type TestIssuer } from "@provenant/oidc/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../http/app.js";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import { gitlabJobClaims } from "../test-support/job-claims.js";
import { provenanceRequester } from "../test-support/provenance-request.js";
import { openVault } from "../vault/open-vault.js";
import type { Vault } from "../vault/types.js";
import { SERVICE_HASHED_SUBJECTS_FIELD, urlFileSubjects } from "./server-hashed-subjects.js";
import { signingDepsWithDefaults } from "./sign-provenance.js";

// Server-side hashing of files by URL, against a real HTTP server on
// 127.0.0.1 standing in for the bank's artifact store: the server downloads
// each file itself and hashes the bytes it received.
const NOW = new Date("2026-12-01T12:00:00Z");
const nowSeconds = NOW.getTime() / 1000;
const AUDIENCE = "https://vault.example.com";
const signingKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
const APP = Buffer.from("the release tarball's bytes\n".repeat(1000));
const SOURCE_TOKEN = "artifact-store-token-of-the-server";
const MAX_BYTES = 64 * 1024;

let files: Server;
let base: string;
let gitlab: TestIssuer;
let vault: Vault;
let dir: string;
/** Headers each path was requested with. */
const seen = new Map<string, IncomingHttpHeaders>();

function startFiles(): Promise<Server> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://files").pathname;
    seen.set(path, request.headers);
    if (path === "/releases/app-1.0.tgz" || path === "/private/app-1.0.tgz") {
      response.writeHead(200, { "content-length": APP.length }).end(APP);
    } else if (path === "/releases/moved.tgz") {
      response.writeHead(302, { location: "/private/app-1.0.tgz" }).end();
    } else if (path === "/releases/declared-too-big.bin") {
      response.writeHead(200, { "content-length": MAX_BYTES + 1 }).end();
    } else if (path === "/releases/streamed-too-big.bin") {
      // No content-length: the cap must hold while streaming.
      response.writeHead(200);
      for (let i = 0; i < 8; i++) response.write(Buffer.alloc(16 * 1024, i));
      response.end();
    } else if (path === "/releases/hangs.tgz") {
      // Never answers: only the fetch timeout ends the request.
    } else if (path === "/team/app-1.0.tgz") {
      if (request.headers.authorization !== `Bearer ${SOURCE_TOKEN}`) response.writeHead(401).end();
      else response.writeHead(200).end(APP);
    } else {
      response.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

function appFor(withSources: boolean) {
  const sources = [{ url: `${base}/releases` }, { url: `${base}/team/`, tokenEnv: "PROVENANT_TEST_SOURCE_TOKEN" }];
  const signing = signingDepsWithDefaults({
    config: { trustedIssuers: [{ issuer: gitlab.issuer, platform: "gitlab", audiences: [AUDIENCE], repositories: ["acme/*"] }] },
    signer: keySigner(signingKey),
    clock: () => NOW,
    ...(withSources
      ? { files: urlFileSubjects({ sources, env: { PROVENANT_TEST_SOURCE_TOKEN: SOURCE_TOKEN }, maxBytes: MAX_BYTES, timeoutMs: 300 }) }
      : {}),
  });
  const app = createApp({ vault, signing });
  return provenanceRequester(app);
}
const token = () => gitlab.sign(gitlabJobClaims(new URL(gitlab.issuer).host, { iat: nowSeconds - 5, nbf: nowSeconds - 5, exp: nowSeconds + 300 }));
const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

beforeAll(async () => {
  [files, gitlab] = await Promise.all([startFiles(), startTestIssuer({ defaultAudience: AUDIENCE, jwksPath: "/oauth/discovery/keys" })]);
  base = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
  dir = await mkdtemp(join(tmpdir(), "provenant-file-hashing-"));
  vault = await openVault({
    store: openSqliteStore({ path: join(dir, "vault.sqlite") }),
    logKey: generateKeyPairSync("ed25519").privateKey,
    origin: "127.0.0.1/provenant-test",
    signingKey,
    clock: () => NOW,
    batchWindowMs: 1,
  });
}, 60_000);
afterAll(async () => {
  await vault?.close();
  await rm(dir, { recursive: true, force: true });
  files?.closeAllConnections();
  await Promise.all([new Promise((resolve) => files?.close(resolve)), gitlab?.close()]);
});

describe("POST /v1/provenance with files the server downloads and hashes itself", () => {
  it("hashes the bytes it downloaded, makes the file a subject, and records its URL without the query", async () => {
    const post = appFor(true);
    const response = await post(await token(), {
      subjects: [{ name: "sbom.json", digest: { sha256: "a".repeat(64) } }],
      files: [`${base}/releases/app-1.0.tgz?download=1`, { url: `${base}/team/app-1.0.tgz`, name: "dist/team-app.tgz" }],
    });
    expect(response.status).toBe(201);
    const { bundle } = (await response.json()) as { bundle: unknown };
    const report = verify(bundle, { trustedKeys: [], serviceKeys: [{ publicKey: createPublicKey(signingKey) }], artifactDigests: [{ sha256: sha256(APP) }] });
    expect(report.verified).toBe(true);
    const statement = report.statement as unknown as { subject: unknown[]; predicate: { runDetails: { metadata: Record<string, unknown> } } };
    expect(statement.subject).toEqual([
      { name: "sbom.json", digest: { sha256: "a".repeat(64) } },
      { name: "app-1.0.tgz", digest: { sha256: sha256(APP) } },
      { name: "dist/team-app.tgz", digest: { sha256: sha256(APP) } },
    ]);
    expect(statement.predicate.runDetails.metadata[SERVICE_HASHED_SUBJECTS_FIELD]).toEqual([
      { name: "app-1.0.tgz", digest: { sha256: sha256(APP) }, uri: `${base}/releases/app-1.0.tgz` },
      { name: "dist/team-app.tgz", digest: { sha256: sha256(APP) }, uri: `${base}/team/app-1.0.tgz` },
    ]);
    // The server's token for the team source went there, and nowhere else.
    expect(seen.get("/team/app-1.0.tgz")?.authorization).toBe(`Bearer ${SOURCE_TOKEN}`);
    expect(seen.get("/releases/app-1.0.tgz")?.authorization).toBeUndefined();
  });

  it("refuses what it cannot hash from a configured source, stores nothing, and leaves the token usable", async () => {
    const post = appFor(true);
    const job = await token();
    const cases: [unknown, number, string, string][] = [
      [`${base}/private/app-1.0.tgz`, 400, "USAGE", "not under a source"],
      [`${base}/releases/../private/app-1.0.tgz`, 400, "USAGE", "not under a source"],
      [`${base}/releases/%2e%2e/private/app-1.0.tgz`, 400, "USAGE", "not under a source"],
      [`${base}/releases-elsewhere/app-1.0.tgz`, 400, "USAGE", "not under a source"],
      [`http://127.0.0.2:1/releases/app-1.0.tgz`, 400, "USAGE", "not under a source"],
      [`${base.replace("://", "://user:pw@")}/releases/app-1.0.tgz`, 400, "USAGE", "credentials"],
      ["not a url", 400, "USAGE", "not a URL"],
      [`${base}/releases/`, 400, "USAGE", "names no file"],
      [`${base}/releases/absent.tgz`, 404, "NOT_FOUND", "no such file"],
      [`${base}/releases/moved.tgz`, 502, "SOURCE_UNAVAILABLE", "redirects are not followed"],
      [`${base}/releases/declared-too-big.bin`, 413, "INPUT_TOO_LARGE", `at most ${MAX_BYTES}`],
      [`${base}/releases/streamed-too-big.bin`, 413, "INPUT_TOO_LARGE", `at most ${MAX_BYTES}`],
      [`${base}/releases/hangs.tgz`, 502, "SOURCE_UNAVAILABLE", "could not be fetched"],
    ];
    for (const [file, status, code, detail] of cases) {
      const answer = (await (await post(job, { files: [file] })).json()) as { status: number; code: string; detail: string };
      expect({ file, answer }).toMatchObject({ file, answer: { status, code, detail: expect.stringContaining(detail) } });
      expect(answer.detail).not.toContain("pw@");
    }
    const tooMany = await post(job, { files: Array.from({ length: 17 }, () => `${base}/releases/app-1.0.tgz`) });
    expect(await tooMany.json()).toMatchObject({ status: 413, code: "TOO_MANY_SUBJECTS" });
    // The redirect was not followed: the private file was never requested through it.
    expect(seen.has("/private/app-1.0.tgz")).toBe(false);
    // Nothing was stored for the refusals: the one entry for the file is the first test's.
    expect((await vault.findByDigest({ digest: `sha256:${sha256(APP)}` })).items).toHaveLength(1);
    // Refusals come before the replay check: the job's token still signs once.
    expect((await post(job, { files: [`${base}/releases/app-1.0.tgz`] })).status).toBe(201);
    expect((await post(job, { files: [`${base}/releases/app-1.0.tgz`] })).status).toBe(409);
  });

  it("refuses files when no sources are configured, and a source whose token variable is unset", async () => {
    const none = await appFor(false)(await token(), { files: [`${base}/releases/app-1.0.tgz`] });
    expect(await none.json()).toMatchObject({ status: 400, code: "USAGE", detail: expect.stringContaining("signing.fileSources") });
    const unset = urlFileSubjects({ sources: [{ url: `${base}/team/`, tokenEnv: "PROVENANT_TEST_UNSET" }], env: {} });
    await expect(unset({ url: `${base}/team/app-1.0.tgz` })).rejects.toMatchObject({ code: "SOURCE_UNAVAILABLE", message: expect.stringContaining("PROVENANT_TEST_UNSET") });
  });
});
