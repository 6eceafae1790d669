import { createHash, createPublicKey, generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keySigner, verify } from "@provenant/core";
import { MEDIA_TYPES, RegistryClient } from "@provenant/oci";
import { startRegistry, type TestRegistry } from "@provenant/oci/testing";
import { startTestIssuer, type TestIssuer } from "@provenant/oidc/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../http/app.js";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import { gitlabJobClaims } from "../test-support/job-claims.js";
import { provenanceRequester } from "../test-support/provenance-request.js";
import { openVault } from "../vault/open-vault.js";
import type { Vault } from "../vault/types.js";
import { registryImageSubjects, SERVICE_HASHED_SUBJECTS_FIELD } from "./server-hashed-subjects.js";
import { signingDepsWithDefaults } from "./sign-provenance.js";

// Server-side subject hashing against a real registry (Debian's docker-registry
// on 127.0.0.1): the image is pushed by the build, named by digest in the
// request, and fetched and checked by the server itself.
const NOW = new Date("2026-12-01T12:00:00Z");
const nowSeconds = NOW.getTime() / 1000;
const AUDIENCE = "https://vault.example.com";
const signingKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;

let registry: TestRegistry;
let gitlab: TestIssuer;
let vault: Vault;
let dir: string;
let imageDigest: string;
const client = new RegistryClient();

function appFor(registries: string[] | undefined) {
  const signing = signingDepsWithDefaults({
    config: { trustedIssuers: [{ issuer: gitlab.issuer, platform: "gitlab", audiences: [AUDIENCE], repositories: ["acme/*"] }], ...(registries ? { registries } : {}) },
    signer: keySigner(signingKey),
    clock: () => NOW,
    ...(registries ? { images: registryImageSubjects({ registries, client }) } : {}),
  });
  const app = createApp({ vault, signing });
  return provenanceRequester(app);
}
const token = () => gitlab.sign(gitlabJobClaims(new URL(gitlab.issuer).host, { iat: nowSeconds - 5, nbf: nowSeconds - 5, exp: nowSeconds + 300 }));

beforeAll(async () => {
  [registry, gitlab] = await Promise.all([startRegistry(), startTestIssuer({ defaultAudience: AUDIENCE, jwksPath: "/oauth/discovery/keys" })]);
  dir = await mkdtemp(join(tmpdir(), "provenant-hashing-"));
  vault = await openVault({
    store: openSqliteStore({ path: join(dir, "vault.sqlite") }),
    logKey: generateKeyPairSync("ed25519").privateKey,
    origin: "127.0.0.1/provenant-test",
    signingKey,
    clock: () => NOW,
    batchWindowMs: 1,
  });
  // The build pushes its image: one layer, a config, a manifest put by its digest.
  const repo = { registry: registry.host, repository: "acme/app" };
  const layer = new TextEncoder().encode("the app's files");
  const config = new TextEncoder().encode(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } }));
  const [layerDigest, configDigest] = [await client.putBlob(repo, layer), await client.putBlob(repo, config)];
  const manifest = new TextEncoder().encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: configDigest, size: config.length },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: layerDigest, size: layer.length }],
    }),
  );
  imageDigest = `sha256:${createHash("sha256").update(manifest).digest("hex")}`;
  await client.putManifest(repo, imageDigest, manifest, MEDIA_TYPES.ociManifest);
}, 120_000);
afterAll(async () => {
  await vault?.close();
  await rm(dir, { recursive: true, force: true });
  await Promise.all([registry?.close(), gitlab?.close()]);
});

describe("POST /v1/provenance with images the server hashes itself", () => {
  it("fetches the image by digest from a configured registry, makes it a subject and records that the server hashed it", async () => {
    const post = appFor([registry.host]);
    const response = await post(await token(), {
      subjects: [{ name: "app.tgz", digest: { sha256: "a".repeat(64) } }],
      images: [`${registry.host}/acme/app@${imageDigest}`],
    });
    expect(response.status).toBe(201);
    const { bundle } = (await response.json()) as { bundle: unknown };
    const report = verify(bundle, { trustedKeys: [], serviceKeys: [{ publicKey: createPublicKey(signingKey) }], artifactDigests: [{ sha256: imageDigest.slice(7) }] });
    expect(report.verified).toBe(true);
    expect(report.slsaLevel.level).toBe(3);
    const statement = report.statement as unknown as { subject: unknown[]; predicate: { runDetails: { metadata: Record<string, unknown> } } };
    expect(statement.subject).toEqual([
      { name: "app.tgz", digest: { sha256: "a".repeat(64) } },
      { name: `${registry.host}/acme/app`, digest: { sha256: imageDigest.slice(7) } },
    ]);
    // Only the image is listed as hashed by the service; app.tgz stays the build's word.
    expect(statement.predicate.runDetails.metadata[SERVICE_HASHED_SUBJECTS_FIELD]).toEqual([{ name: `${registry.host}/acme/app`, digest: { sha256: imageDigest.slice(7) } }]);
    expect((await vault.findByDigest({ digest: imageDigest })).items).toHaveLength(1);
  });

  it("refuses what it cannot hash itself, stores nothing, and leaves the token usable", async () => {
    const post = appFor([registry.host]);
    const job = await token();
    const absent = `sha256:${"e".repeat(64)}`;
    const cases: [unknown, number, string][] = [
      [[`other.example:5000/acme/app@${imageDigest}`], 400, "USAGE"],
      [[`${registry.host}/acme/app:latest`], 400, "USAGE"],
      [[`${registry.host}/acme/app@${absent}`], 404, "NOT_FOUND"],
      [Array.from({ length: 17 }, () => `${registry.host}/acme/app@${imageDigest}`), 413, "TOO_MANY_SUBJECTS"],
    ];
    for (const [images, status, code] of cases) {
      const answer = await post(job, { images });
      expect({ images, answer: await answer.json() }).toMatchObject({ images, answer: { status, code } });
    }
    expect((await vault.findByDigest({ digest: absent })).items).toHaveLength(0);
    // The refusals came before the replay check: the job's token still signs once.
    expect((await post(job, { images: [`${registry.host}/acme/app@${imageDigest}`] })).status).toBe(201);
    expect((await post(job, { images: [`${registry.host}/acme/app@${imageDigest}`] })).status).toBe(409);
  });

  it("refuses images when no registries are configured", async () => {
    const answer = await appFor(undefined)(await token(), { images: [`${registry.host}/acme/app@${imageDigest}`] });
    expect(await answer.json()).toMatchObject({ status: 400, code: "USAGE", detail: expect.stringContaining("signing.registries") });
  });
});
