import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keyIdOf, keySigner, serviceKeysOfTrustedRoot, TRUSTED_ROOT_SERVICE_KEYS, verify } from "@provenant/core";
import { bundleFromJSON } from "@sigstore/bundle";
import { PublicKeyDetails, TrustedRoot } from "@sigstore/protobuf-specs";
import { toSignedEntity, toTrustMaterial, Verifier } from "@sigstore/verify";
import { startTestIssuer, type TestIssuer } from "@provenant/oidc/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../http/app.js";
import { provenanceRequester } from "../test-support/provenance-request.js";
import { compilePolicy, parsePolicyFile } from "@provenant/policy";
import type { VerifyAnswer } from "../verify/verify-artifacts.js";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import { openVault } from "../vault/open-vault.js";
import type { Vault } from "../vault/types.js";
import { signingDepsWithDefaults } from "./sign-provenance.js";
import { gitlabJobClaims } from "../test-support/job-claims.js";

// The real vault on a real SQLite file, the real app, and a local OIDC issuer serving GitLab's key path.
const NOW = new Date("2026-12-01T12:00:00Z");
const nowSeconds = NOW.getTime() / 1000;
const AUDIENCE = "https://vault.example.com";
const DIGEST = "c".repeat(64);

let gitlab: TestIssuer;
let other: TestIssuer;
let vault: Vault;
let dir: string;
let app: ReturnType<typeof createApp>;
const signingKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;

function claims(overrides: Record<string, unknown> = {}) {
  // GitLab's documented id_tokens claim set.
  return gitlabJobClaims(new URL(gitlab.issuer).host, { iat: nowSeconds - 5, nbf: nowSeconds - 5, exp: nowSeconds + 300, ...overrides });
}

beforeAll(async () => {
  [gitlab, other] = await Promise.all([
    startTestIssuer({ defaultAudience: AUDIENCE, jwksPath: "/oauth/discovery/keys" }),
    startTestIssuer({ defaultAudience: AUDIENCE }),
  ]);
  dir = await mkdtemp(join(tmpdir(), "provenant-signing-"));
  const store = await openSqliteStore({ path: join(dir, "vault.sqlite") });
  vault = await openVault({
    store,
    logKey: generateKeyPairSync("ed25519").privateKey,
    origin: "127.0.0.1/provenant-test",
    signingKey,
    clock: () => NOW,
    batchWindowMs: 1,
  });
  const signing = signingDepsWithDefaults({
    config: { trustedIssuers: [{ issuer: gitlab.issuer, platform: "gitlab", audiences: [AUDIENCE], repositories: ["acme/*"] }] },
    signer: keySigner(signingKey),
    clock: () => NOW,
  });
  app = createApp({ vault, signing, baseUrl: "http://127.0.0.1/provenant-test" });
});
afterAll(async () => {
  await vault.close();
  await rm(dir, { recursive: true, force: true });
  await Promise.all([gitlab.close(), other.close()]);
});

const post = (token: string | undefined, body: unknown) => provenanceRequester(app)(token, body);
const subjects = [{ name: "app.tgz", digest: { sha256: DIGEST } }];

describe("POST /v1/provenance", () => {
  it("signs, logs and stores provenance from the job token; the bundle carries its log proof and verifies as L3", async () => {
    const response = await post(await gitlab.sign(claims()), { subjects });
    expect(response.status).toBe(201);
    const body = (await response.json()) as { logIndex: number; bundle: { verificationMaterial: { tlogEntries?: unknown[] } } };
    expect(body.bundle.verificationMaterial.tlogEntries).toHaveLength(1);
    const report = verify(body.bundle, {
      trustedKeys: [],
      serviceKeys: [{ publicKey: createPublicKey(signingKey) }],
      artifactDigests: [{ sha256: DIGEST }],
      policy: { sourceUri: `${new URL(gitlab.issuer).host}/acme/app`, minimumLevel: 3 },
    });
    expect(report.verified).toBe(true);
    const stored = await vault.findByDigest({ digest: `sha256:${DIGEST}` });
    expect(stored.items).toHaveLength(1);
    expect(stored.items[0]).toMatchObject({ logIndex: body.logIndex, slsaLevel: 3, project: "acme/app" });
  });

  it("refuses with problem codes and stores nothing", async () => {
    const digest = "d".repeat(64);
    const asked = [{ name: "x", digest: { sha256: digest } }];
    const cases: [string | undefined, number, string][] = [
      [undefined, 401, "UNAUTHENTICATED"],
      [await other.sign(claims({ iss: other.issuer })), 401, "TOKEN_UNTRUSTED_ISSUER"],
      [await gitlab.sign(claims(), { audience: "elsewhere" }), 401, "TOKEN_AUDIENCE"],
      [await gitlab.sign(claims({ project_path: "evil/app", namespace_path: "evil" })), 403, "REPOSITORY_NOT_ALLOWED"],
    ];
    for (const [token, status, code] of cases) {
      const response = await post(token, { subjects: asked });
      expect(response.headers.get("content-type")).toContain("application/problem+json");
      expect(await response.json()).toMatchObject({ status, code });
    }
    const once = await gitlab.sign(claims());
    expect((await post(once, { subjects: asked })).status).toBe(201);
    const replay = await post(once, { subjects: [{ name: "y", digest: { sha256: "e".repeat(64) } }] });
    expect(await replay.json()).toMatchObject({ status: 409, code: "TOKEN_REPLAYED" });
    expect((await vault.findByDigest({ digest: `sha256:${"e".repeat(64)}` })).items).toHaveLength(0);
    expect((await vault.findByDigest({ digest: `sha256:${digest}` })).items).toHaveLength(1);
  });

  it("publishes the service key in the trusted root; a verifier given only that file reports L3, and @sigstore/verify still accepts the file", async () => {
    const digest = "f".repeat(64);
    const signed = (await (await post(await gitlab.sign(claims()), { subjects: [{ name: "app.tgz", digest: { sha256: digest } }] })).json()) as { bundle: unknown };
    const root = (await (await app.request("/v1/log/trusted-root")).json()) as Record<string, unknown>;
    expect(root[TRUSTED_ROOT_SERVICE_KEYS]).toEqual([expect.objectContaining({ keyId: keyIdOf(createPublicKey(signingKey)) })]);
    const serviceKeys = serviceKeysOfTrustedRoot(root, "trusted-root.json").map((publicKey) => ({ publicKey }));
    const report = verify(signed.bundle, { trustedKeys: [], serviceKeys, artifactDigests: [{ sha256: digest }] });
    expect(report.verified).toBe(true);
    expect(report.slsaLevel.level).toBe(3);
    // The same key given as a user key: a signature, but not the service's, so not L3.
    const asUserKey = verify(signed.bundle, { trustedKeys: serviceKeys, artifactDigests: [{ sha256: digest }] });
    expect(asUserKey.slsaLevel.level).toBeLessThan(3);
    // Sigstore clients ignore the extension member: the log entry still verifies under this trusted root.
    const trust = toTrustMaterial(TrustedRoot.fromJSON(root), {
      [keyIdOf(createPublicKey(signingKey))]: {
        rawBytes: createPublicKey(signingKey).export({ type: "spki", format: "der" }),
        keyDetails: PublicKeyDetails.PKIX_ECDSA_P256_SHA_256,
        validFor: { start: new Date(0), end: undefined },
      },
    });
    const verifier = new Verifier(trust, { tlogThreshold: 1, ctlogThreshold: 0, tsaThreshold: 0, timestampThreshold: 1 });
    expect(() => verifier.verify(toSignedEntity(bundleFromJSON(signed.bundle)))).not.toThrow();
  });

  it("feeds the server gate: a policy trusting the service key as a service key, minimum L3, allows the service-signed artifact", async () => {
    const digest = "9".repeat(64);
    expect((await post(await gitlab.sign(claims()), { subjects: [{ name: "app.tgz", digest: { sha256: digest } }] })).status).toBe(201);
    const pem = (createPublicKey(signingKey).export({ type: "spki", format: "pem" }) as string).trim().replace(/^/gm, "        ");
    const policyText = (service: boolean) =>
      `apiVersion: provenant.dev/v1\ntrust:\n  keys:\n    - name: vault\n      service: ${service}\n      pem: |\n${pem}\nrules:\n  - name: service-built\n    provenance:\n      minimumLevel: 3\n      sourceUris: ["${new URL(gitlab.issuer).host}/acme/*"]\n`;
    const policies = new Map(
      await Promise.all(
        [true, false].map(async (service) => {
          const name = service ? "service" : "user-key";
          const policy = await compilePolicy(parsePolicyFile(policyText(service), name), { source: name, cacheDir: join(dir, "cache") });
          return [name, { name, file: `policies/${name}.yaml`, policy }] as const;
        }),
      ),
    );
    const gate = createApp({ vault, verification: { policies, clock: () => NOW } });
    const reader = await vault.createToken({ project: "acme/app", scope: "read" }, "cli");
    const ask = async (policy: string) =>
      (await (
        await gate.request("/v1/verify", {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${reader.token}` },
          body: JSON.stringify({ policy, artifacts: [{ digest: `sha256:${digest}` }] }),
        })
      ).json()) as VerifyAnswer;
    const service = await ask("service");
    expect(service.allowed).toBe(true);
    expect(service.artifacts[0]!.slsaLevel?.level).toBe(3);
    // The same key trusted as a user key: a signature, but never L3.
    const user = await ask("user-key");
    expect(user.allowed).toBe(false);
    expect(user.artifacts[0]!.rules[0]!.reason).toContain("policy requires L3");
  });
});
