import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keySigner, verifyEnvelope } from "@provenant/core";
import { compilePolicy, evaluatePolicy, parsePolicyFile, VSA_PREDICATE_TYPE } from "@provenant/policy";
import { verifyWithServerPolicy } from "@provenant/server-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../http/app.js";
import { serve } from "../serve.js";
import { openPostgresStore } from "../store/postgres/postgres-store.js";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import type { Store } from "../store/store.js";
import { artifactDigest, signedOtherPredicate, signedProvenance, testSigner } from "../test-support/attestations.js";
import { startTestPostgres, type TestPostgres } from "../test-support/postgres.js";
import { openVault } from "../vault/open-vault.js";
import type { Vault } from "../vault/types.js";
import { loadServerPolicies } from "./policies.js";
import type { VerifyAnswer } from "./verify-artifacts.js";

// The real vault on each real store, the real app, policies loaded from a
// data directory as `provenant server` loads them; checked for what a client
// sees (status, code, decision) and what the audit table recorded.

const NOW = new Date("2026-12-01T12:00:00Z");
const TEST_RESULT = "https://in-toto.io/attestation/test-result/v0.1";
const ci = testSigner();
const serverKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;

// A release gate: provenance from acme's repositories on main, signed by the
// CI key, and a passed test run, for release tarballs; and a second policy
// that only admits builds of acme/lib.
const releasePolicy = `apiVersion: provenant.dev/v1
trust:
  keys:
    - name: ci
      pem: |
${ci.publicKeyPem.trim().replace(/^/gm, "        ")}
rules:
  - name: release tarballs
    match:
      artifacts: ["app-*.tgz"]
    provenance:
      signers: { keys: [ci] }
      sourceUris: ["github.com/acme/*"]
      branches: [main]
      minimumLevel: 2
    evidence:
      - predicateType: ${TEST_RESULT}
        cel:
          - expr: predicate.result == "PASSED"
            message: the test run did not pass
    cel:
      - expr: report.source.ref == "refs/heads/main"
        message: releases are built from main
`;
const libOnly = `apiVersion: provenant.dev/v1
trust:
  keys:
    - name: ci
      pem: |
${ci.publicKeyPem.trim().replace(/^/gm, "        ")}
rules:
  - name: only acme/lib
    provenance:
      sourceUris: ["github.com/acme/lib"]
`;

let dataDir: string;
let postgres: TestPostgres;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "provenant-verify-"));
  await mkdir(join(dataDir, "policies"));
  await writeFile(join(dataDir, "policies", "release.yaml"), releasePolicy);
  await writeFile(join(dataDir, "policies", "lib-only.json"), JSON.stringify(parsePolicyFile(libOnly, "lib-only")));
  await writeFile(join(dataDir, "policies", "README.md"), "not a policy: ignored\n");
  postgres = await startTestPostgres();
}, 120_000);
afterAll(async () => {
  await postgres?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const backends: [string, () => Promise<Store>][] = [
  ["sqlite", async () => openSqliteStore({ path: join(dataDir, `${Math.random().toString(36).slice(2)}.sqlite`) })],
  ["postgres", async () => openPostgresStore({ connectionString: await postgres.createDatabase() })],
];

describe.each(backends)("POST /v1/verify over %s", (_backend, openStore) => {
  let vault: Vault;
  let store: Store;
  let app: ReturnType<typeof createApp>;
  let read: { id: string; token: string };
  const other = testSigner();

  beforeAll(async () => {
    store = await openStore();
    vault = await openVault({ store, logKey: generateKeyPairSync("ed25519").privateKey, origin: "127.0.0.1/provenant-test", clock: () => NOW, batchWindowMs: 1 });
    const policies = await loadServerPolicies(dataDir);
    app = createApp({
      vault,
      verification: { policies, signer: keySigner(serverKey), clock: () => NOW, verifierId: "http://127.0.0.1/provenant-test/v1/verify", limits: { maxArtifacts: 3, maxAttestations: 4 } },
    });
    read = await vault.createToken({ project: "acme/app", scope: "read", name: "gate" }, "cli");
    const admin = { kind: "token" as const, subject: "tok_admin", projects: ["*"], scope: "admin" as const };
    await vault.registerKey({ project: "acme/app", publicKeyPem: ci.publicKeyPem }, admin);
    await vault.registerKey({ project: "acme/app", publicKeyPem: other.publicKeyPem }, admin);
    const uploader = { kind: "token" as const, subject: "tok_ci", projects: ["acme/app"], scope: "upload" as const };
    // 1: provenance + passed tests (allowed); 2: provenance only; 3: from acme/app on a feature branch;
    // 4: signed by a key the policy does not trust; 5: more attestations than the cap.
    await vault.upload(await signedProvenance(ci, 1), uploader);
    await vault.upload(await signedOtherPredicate(ci, 1), uploader);
    await vault.upload(await signedProvenance(ci, 2), uploader);
    await vault.upload(await signedProvenance(ci, 3, { ref: "refs/heads/feature" }), uploader);
    await vault.upload(await signedOtherPredicate(ci, 3), uploader);
    await vault.upload(await signedProvenance(other, 4), uploader);
    for (const ref of ["a", "b", "c", "d", "e"]) await vault.upload(await signedProvenance(ci, 5, { ref: `refs/heads/${ref}` }), uploader);
  });
  afterAll(async () => {
    await vault.close();
  });

  /** `null`: no Authorization header. */
  const post = (body: unknown, token: string | null = read.token) =>
    app.request("/v1/verify", {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  const artifact = (n: number) => ({ name: `app-${n}.tgz`, digest: `sha256:${artifactDigest(n)}` });
  const auditRows = async () => (await store.auditLog({ limit: 1000 })).filter((a) => a.action === "policy.verify");

  it("allows an artifact whose stored provenance and evidence satisfy the stored policy, explains each rule, and audits the decision", async () => {
    const before = (await auditRows()).length;
    const response = await post({ policy: "release", artifacts: [artifact(1)] });
    expect(response.status).toBe(200);
    const answer = (await response.json()) as VerifyAnswer;
    expect(answer.allowed).toBe(true);
    expect(answer.policy.name).toBe("release");
    expect(answer.policy.digest.sha256).toMatch(/^[0-9a-f]{64}$/);
    const [verdict] = answer.artifacts;
    expect(verdict).toMatchObject({ digest: artifact(1).digest, name: "app-1.tgz", allowed: true, attestations: 2, slsaLevel: { level: 2 } });
    expect(verdict!.rules).toEqual([expect.objectContaining({ rule: "release tarballs", status: "pass" })]);
    expect(verdict!.rules[0]!.checks.map((c) => c.name)).toEqual(["provenance", "sourceUri", "sourceBranch", "slsaLevel", "evidence", "cel"]);
    expect(verdict!.explanation[0]).toMatch(/^PASS {2}rule release tarballs/);
    expect(verdict!.explanation.at(-1)).toMatch(/^ALLOWED/);
    const audit = (await auditRows()).slice(before);
    expect(audit).toEqual([
      expect.objectContaining({ actor: read.id, action: "policy.verify", target: `release sha256:${answer.policy.digest.sha256} ${artifact(1).digest} allowed` }),
    ]);
  });

  it("evaluates only what the caller may read: another project's read token finds no attestation, a `*` read token finds them", async () => {
    const stranger = await vault.createToken({ project: "acme/other", scope: "read" }, "cli");
    const denied = (await (await post({ policy: "release", artifacts: [artifact(1)] }, stranger.token)).json()) as VerifyAnswer;
    expect(denied.artifacts[0]).toMatchObject({ allowed: false, attestations: 0 });
    const everyone = await vault.createToken({ project: "*", scope: "read" }, "cli");
    const allowed = (await (await post({ policy: "release", artifacts: [artifact(1)] }, everyone.token)).json()) as VerifyAnswer;
    expect(allowed.artifacts[0]).toMatchObject({ allowed: true, attestations: 2 });
  });

  it("denies with the failing rule's reason: missing evidence, another branch, an untrusted signer, no rule applying", async () => {
    const before = (await auditRows()).length;
    const response = await post({ policy: "release", artifacts: [artifact(2), artifact(3), artifact(4)] });
    expect(response.status).toBe(200);
    const answer = (await response.json()) as VerifyAnswer;
    expect(answer.allowed).toBe(false);
    const [missing, branch, untrusted] = answer.artifacts;
    expect(missing!.allowed).toBe(false);
    expect(missing!.rules[0]!.reason).toContain(`no ${TEST_RESULT} attestation`);
    expect(branch!.allowed).toBe(false);
    expect(branch!.rules[0]!.reason).toContain("releases are built from main");
    expect(untrusted!.allowed).toBe(false);
    expect(untrusted!.rules[0]!.reason).toMatch(/no SLSA provenance verifies: no signature from a trusted key/);
    const audit = (await auditRows()).slice(before);
    expect(audit.map((a) => a.target.split(" ").slice(2))).toEqual([
      [artifact(2).digest, "denied"],
      [artifact(3).digest, "denied"],
      [artifact(4).digest, "denied"],
    ]);
    // The second stored policy decides by its own rules: artifact 1 is not from acme/lib.
    const lib = (await (await post({ policy: "lib-only", artifacts: [{ digest: artifact(1).digest }] })).json()) as VerifyAnswer;
    expect(lib.allowed).toBe(false);
    expect(lib.artifacts[0]!.explanation.join("\n")).toContain("github.com/acme/lib");
    // No name: a rule matching artifact names does not apply, and a policy covering nothing allows nothing.
    const unnamed = (await (await post({ policy: "release", artifacts: [{ digest: artifact(1).digest }] })).json()) as VerifyAnswer;
    expect(unnamed.artifacts[0]).toMatchObject({ allowed: false, rules: [expect.objectContaining({ status: "not-applicable" })] });
  });

  it("returns a VSA per artifact signed by the server's key, which a later gate's policy accepts as evidence", async () => {
    const answer = (await (await post({ policy: "release", artifacts: [artifact(1), artifact(2)], vsa: true })).json()) as VerifyAnswer;
    expect(answer.vsas).toHaveLength(2);
    const envelope = (answer.vsas![0] as { dsseEnvelope: Parameters<typeof verifyEnvelope>[0] }).dsseEnvelope;
    const checked = verifyEnvelope(envelope, [{ publicKey: createPublicKey(serverKey) }]);
    expect(checked.signedBy).toEqual([keySigner(serverKey).keyId]);
    const statement = JSON.parse(checked.payload.toString("utf8"));
    expect(statement).toMatchObject({
      predicateType: VSA_PREDICATE_TYPE,
      subject: [{ name: "app-1.tgz", digest: { sha256: artifactDigest(1) } }],
      predicate: {
        verifier: { id: "http://127.0.0.1/provenant-test/v1/verify" },
        timeVerified: NOW.toISOString(),
        policy: { uri: "policies/release.yaml", digest: answer.policy.digest },
        verificationResult: "PASSED",
        verifiedLevels: ["SLSA_BUILD_LEVEL_2"],
      },
    });
    // Admission trusts the server's verification: evidence of type VSA, PASSED, signed by the server key.
    const admission = await compilePolicy(
      parsePolicyFile(
        `apiVersion: provenant.dev/v1
trust:
  keys:
    - name: vault
      service: true
      pem: |
${(createPublicKey(serverKey).export({ type: "spki", format: "pem" }) as string).trim().replace(/^/gm, "        ")}
rules:
  - name: verified by the vault
    evidence:
      - predicateType: ${VSA_PREDICATE_TYPE}
        cel:
          - expr: predicate.verificationResult == "PASSED"
            message: the vault did not pass it
`,
        "admission",
      ),
      { source: "admission", cacheDir: join(dataDir, "cache") },
    );
    const admitted = await evaluatePolicy(admission, { digest: { sha256: artifactDigest(1) } }, [answer.vsas![0]], { now: NOW });
    expect(admitted.allowed).toBe(true);
    const refused = await evaluatePolicy(admission, { digest: { sha256: artifactDigest(2) } }, [answer.vsas![1]], { now: NOW });
    expect(refused.allowed).toBe(false);
  });

  it("refuses with problem codes and audits nothing: no token, unknown policy, bad body, bad digest, caps", async () => {
    const before = (await auditRows()).length;
    const cases: [unknown, string | null, number, string][] = [
      [{ policy: "release", artifacts: [artifact(1)] }, null, 401, "UNAUTHENTICATED"],
      [{ policy: "release", artifacts: [artifact(1)] }, "pvt_not-a-token", 401, "UNAUTHENTICATED"],
      [{ policy: "nope", artifacts: [artifact(1)] }, read.token, 404, "POLICY_NOT_FOUND"],
      [{ policy: "release" }, read.token, 400, "USAGE"],
      [{ policy: "release", artifacts: [artifact(1)], extra: 1 }, read.token, 400, "USAGE"],
      [{ policy: "release", artifacts: [{ digest: "sha256:XYZ" }] }, read.token, 400, "INVALID_DIGEST"],
      ["{not json", read.token, 400, "MALFORMED_JSON"],
      [{ policy: "release", artifacts: [1, 2, 3, 4].map(artifact) }, read.token, 413, "TOO_MANY_SUBJECTS"],
      [{ policy: "release", artifacts: [artifact(5)] }, read.token, 413, "INPUT_TOO_LARGE"],
    ];
    for (const [body, token, status, code] of cases) {
      const response = await post(body, token);
      expect({ code, answer: await response.json() }).toMatchObject({ code, answer: { status, code } });
      expect(response.headers.get("content-type")).toContain("application/problem+json");
    }
    const unknown = (await (await post({ policy: "nope", artifacts: [artifact(1)] })).json()) as { detail: string };
    expect(unknown.detail).toContain("lib-only, release");
    expect((await auditRows()).length).toBe(before);
  });

  it("is described in the OpenAPI document and the /docs reference", async () => {
    const doc = (await (await app.request("/openapi.json")).json()) as { paths: Record<string, { post?: { security?: unknown } }> };
    expect(doc.paths["/v1/verify"]?.post?.security).toEqual([{ bearer: [] }]);
    expect(await (await app.request("/docs")).text()).toContain("/v1/verify");
  });

  it("is called by @provenant/server-client over HTTP; a refusal arrives as the server's code", async () => {
    const running = await serve(app, { host: "127.0.0.1", port: 0 });
    try {
      const answer = await verifyWithServerPolicy({ server: running.url, token: read.token, policy: "release", artifacts: [artifact(1)] });
      expect(answer.allowed).toBe(true);
      expect(answer.artifacts[0]!.explanation.at(-1)).toMatch(/^ALLOWED/);
      await expect(verifyWithServerPolicy({ server: running.url, token: read.token, policy: "nope", artifacts: [artifact(1)] })).rejects.toMatchObject({
        code: "POLICY_NOT_FOUND",
      });
    } finally {
      await running.close();
    }
  });
});
