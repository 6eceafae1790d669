import { createPrivateKey, generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { BUILD_TYPES, VARIABLE_DISAGREEMENTS_FIELD } from "../buildtypes.js";
import { inspect } from "../statement/inspect.js";
import { keySigner } from "../dsse/signer.js";
import { signEnvelope } from "../dsse/envelope.js";
import { attest } from "../statement/attest.js";
import { COMMIT, ecKeys, SHA_A, SHA_B, sampleProvenance } from "../test-support.js";
import { verify, type VerifyOptions } from "./verify.js";

const keys = ecKeys();
const trusted = [{ publicKey: keys.publicKey }];
const subjects = [{ name: "app.tgz", digest: { sha256: SHA_A } }];

async function bundleFor(provenance = sampleProvenance()) {
  return (await attest(subjects, provenance, keySigner(keys.privateKey))).bundle;
}

function failed(report: ReturnType<typeof verify>) {
  return report.checks.filter((c) => c.status === "fail").map((c) => `${c.id}:${c.code}`);
}

const base: VerifyOptions = { trustedKeys: trusted, artifactDigests: [{ sha256: SHA_A }] };

describe("verify", () => {
  it("passes a good bundle and reports signer, source and level", async () => {
    const report = verify(await bundleFor(), base);
    expect(report.verified).toBe(true);
    expect(report.signedBy).toHaveLength(1);
    expect(report.source).toEqual({
      uri: "https://gitlab.example.com/acme/app",
      repository: "gitlab.example.com/acme/app",
      ref: "refs/heads/main",
      branch: "main",
      commit: COMMIT,
    });
    expect(report.slsaLevel.level).toBe(2);
  });

  it("matches artifacts to subjects alike for a few subjects and for a release's many", async () => {
    const sha512 = (c: string) => c.repeat(128);
    const many = Array.from({ length: 100 }, (_, i) => ({ name: `f${i}`, digest: { sha256: i.toString(16).padStart(64, "0") } }));
    for (const list of [[{ name: "a", digest: { sha256: SHA_A, sha512: sha512("1") } }], [...many, { name: "a", digest: { sha256: SHA_A, sha512: sha512("1") } }]]) {
      const bundle = (await attest(list, sampleProvenance(), keySigner(keys.privateKey))).bundle;
      const check = (artifactDigests: VerifyOptions["artifactDigests"]) => failed(verify(bundle, { ...base, artifactDigests }));
      expect(check([{ sha256: SHA_A }])).toEqual([]);
      // An algorithm the subject does not carry is not compared; one it carries must agree.
      expect(check([{ sha256: SHA_A, sha384: "2".repeat(96) }])).toEqual([]);
      expect(check([{ sha256: SHA_A, sha512: sha512("3") }])).toEqual(["subject:SUBJECT_MISMATCH"]);
      expect(check([{ sha384: "2".repeat(96) }])).toEqual(["subject:SUBJECT_MISMATCH"]);
      expect(check([{ sha512: sha512("1") }, { sha256: SHA_B }])).toEqual(["subject:SUBJECT_MISMATCH"]);
    }
  });

  it("reports a subject digest mismatch", async () => {
    const report = verify(await bundleFor(), { ...base, artifactDigests: [{ sha256: SHA_B }] });
    expect(report.verified).toBe(false);
    expect(failed(report)).toEqual(["subject:SUBJECT_MISMATCH"]);
  });

  it("reports an untrusted signer and stops before reading the statement", async () => {
    const report = verify(await bundleFor(), { ...base, trustedKeys: [{ publicKey: ecKeys().publicKey }] });
    expect(failed(report)).toEqual(["signature:UNTRUSTED_KEY"]);
    expect(report.statement).toBeUndefined();
    expect(report.slsaLevel.level).toBe(0);
  });

  it("never throws on garbage", () => {
    for (const junk of [null, 42, "x", [], {}, { mediaType: "nope" }, { payloadType: 1 }]) {
      const report = verify(junk, base);
      expect(report.verified).toBe(false);
      expect(report.checks[0]!.status).toBe("fail");
    }
  });

  it("reports an unknown predicate type", async () => {
    const statement = { _type: "https://in-toto.io/Statement/v1", subject: subjects, predicateType: "https://example.com/other", predicate: {} };
    const envelope = await signEnvelope(Buffer.from(JSON.stringify(statement)), [keySigner(keys.privateKey)]);
    expect(failed(verify(envelope, base))).toEqual(["predicateType:UNKNOWN_PREDICATE_TYPE"]);
  });

  it("reports snake_case provenance as a case error, naming the camelCase field", async () => {
    const statement = {
      _type: "https://in-toto.io/Statement/v1",
      subject: subjects,
      predicateType: "https://slsa.dev/provenance/v1",
      predicate: { build_definition: {}, run_details: {} },
    };
    const envelope = await signEnvelope(Buffer.from(JSON.stringify(statement)), [keySigner(keys.privateKey)]);
    const report = verify(envelope, base);
    expect(failed(report)).toEqual(["provenance:PROVENANCE_FIELD_CASE"]);
    expect(report.checks.find((c) => c.id === "provenance")!.reason).toContain('"buildDefinition"');
  });

  it("reports an empty subject list", async () => {
    const statement = { _type: "https://in-toto.io/Statement/v1", subject: [], predicateType: "https://slsa.dev/provenance/v1", predicate: sampleProvenance() };
    const envelope = await signEnvelope(Buffer.from(JSON.stringify(statement)), [keySigner(keys.privateKey)]);
    expect(failed(verify(envelope, base))).toEqual(["statement:EMPTY_SUBJECTS"]);
  });

  it("applies the policy, one check per rule", async () => {
    const bundle = await bundleFor(sampleProvenance({ ref: "refs/tags/v1.4.2" }));
    const pass = verify(bundle, {
      ...base,
      policy: {
        builderId: "https://gitlab.example.com/runners/shared",
        buildType: BUILD_TYPES.gitlab,
        sourceUri: "gitlab.example.com/acme/*",
        sourceTag: "v1.*",
        sourceVersionedTag: "^1.4.0",
        minimumLevel: 2,
      },
    });
    expect(pass.verified).toBe(true);
    expect(pass.checks.map((c) => c.id)).toEqual(
      expect.arrayContaining(["builderId", "buildType", "sourceUri", "sourceTag", "sourceVersionedTag", "slsaLevel"]),
    );

    const fail = verify(bundle, {
      ...base,
      policy: { sourceUri: "gitlab.example.com/other/*", sourceBranch: "main", sourceVersionedTag: ">=2" },
    });
    expect(failed(fail)).toEqual(["sourceUri:POLICY_DENIED", "sourceBranch:POLICY_DENIED", "sourceVersionedTag:POLICY_DENIED"]);
  });

  it("grants L1 only to facts that were not token-verified, and to local builds", async () => {
    const env = verify(await bundleFor(sampleProvenance({ factsSource: "environment" })), {
      ...base,
      policy: { minimumLevel: 2 },
    });
    expect(env.slsaLevel.level).toBe(1);
    expect(failed(env)).toEqual(["slsaLevel:POLICY_DENIED"]);
    const external = verify(await bundleFor(sampleProvenance({ factsSource: "external-oidc-token" })), base);
    expect(external.slsaLevel).toMatchObject({ level: 1, reason: expect.stringContaining("an issuer the build named itself") });
    const local = verify(await bundleFor(sampleProvenance({ buildType: BUILD_TYPES.local })), base);
    expect(local.slsaLevel).toMatchObject({ level: 1 });
    expect(local.slsaLevel.reason).toMatch(/L1 only/);
  });

  it("says when CI variables contradicted the token, whose values were recorded", async () => {
    const provenance = sampleProvenance();
    const disagreement = { variable: "CI_COMMIT_SHA", claim: "sha", variableValue: "f".repeat(40), claimValue: COMMIT };
    provenance.runDetails.metadata = { ...provenance.runDetails.metadata, [VARIABLE_DISAGREEMENTS_FIELD]: [disagreement] };
    const bundle = await bundleFor(provenance);
    const report = verify(bundle, base);
    expect(report.verified).toBe(true);
    expect(report.slsaLevel.level).toBe(2);
    expect(report.slsaLevel.reason).toContain("1 CI variable(s) contradicted the token (CI_COMMIT_SHA)");
    expect(inspect(bundle)).toMatchObject({ factsSource: "oidc-token", variableDisagreements: [disagreement] });
    expect(verify(await bundleFor(), base).slsaLevel.reason).not.toContain("contradicted");
  });

  it("verifies a bare DSSE envelope as well as a bundle", async () => {
    const { envelope } = await attest(subjects, sampleProvenance(), keySigner(keys.privateKey));
    expect(verify(envelope, base).verified).toBe(true);
  });

  it("refuses a bundle whose hint differs from the signature keyid", async () => {
    const bundle = await bundleFor();
    const tampered = { ...bundle, verificationMaterial: { ...bundle.verificationMaterial, publicKey: { hint: "f".repeat(64) } } };
    expect(failed(verify(tampered, base))).toEqual(["bundle:MALFORMED_BUNDLE"]);
  });

  it("fails when no artifact digest is given rather than passing silently", async () => {
    const report = verify(await bundleFor(), { ...base, artifactDigests: [] });
    expect(report.verified).toBe(false);
  });

  it("explains that a keyless (certificate) bundle cannot be trusted by key", async () => {
    const { envelope } = await attest(subjects, sampleProvenance(), keySigner(ecKeys().privateKey));
    const keyless = {
      mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
      verificationMaterial: { certificate: { rawBytes: "MIIB" }, tlogEntries: [] },
      dsseEnvelope: { ...envelope, signatures: [{ sig: envelope.signatures[0]!.sig }] },
    };
    const report = verify(keyless, base);
    expect(failed(report)).toEqual(["signature:UNTRUSTED_KEY"]);
    expect(report.checks[1]!.reason).toMatch(/X\.509 certificate/);
  });
});

describe("verify with user and service keys of different types", () => {
  it("leaves nothing behind that breaks loading a private key afterwards", async () => {
    // Node's KeyObject.equals across key types answers false but left
    // "different key types" on OpenSSL's error queue, and the next
    // createPrivateKey failed with it (e.g. `verify --vsa-key` after a check
    // with an Ed25519 user key and a P-256 service key).
    const service = generateKeyPairSync("ed25519");
    const report = verify(await bundleFor(), { ...base, serviceKeys: [{ publicKey: service.publicKey }] });
    expect(report.verified).toBe(true);
    expect(report.slsaLevel.level).toBe(2);
    const pem = keys.privateKey.export({ type: "pkcs8", format: "pem" });
    expect(createPrivateKey(pem).asymmetricKeyType).toBe("ec");
  });
});
