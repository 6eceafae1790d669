import { describe, expect, it } from "vitest";
import { BUILD_TYPES, PLATFORM_HARDENED_FIELD } from "../buildtypes.js";
import { keySigner } from "../dsse/signer.js";
import { attest } from "../statement/attest.js";
import { ecKeys, SHA_A, sampleProvenance } from "../test-support.js";
import { verify, type VerifyOptions } from "./verify.js";

// The service key and a user key; the provenance shapes follow the GitLab adapter's builder ids.
const service = ecKeys();
const user = ecKeys();
const subjects = [{ name: "app.tgz", digest: { sha256: SHA_A } }];
const HOSTED = "https://gitlab.example.com/-/runners/gitlab-hosted";
const SELF_MANAGED = "https://gitlab.example.com/-/runners/self-hosted";

function serviceProvenance(builderId = HOSTED, factsSource = "service-oidc-token", buildType: string = BUILD_TYPES.gitlab) {
  const provenance = sampleProvenance({ factsSource, buildType });
  provenance.runDetails.builder.id = builderId;
  return provenance;
}

async function signedBy(key: ReturnType<typeof ecKeys>, provenance = serviceProvenance()) {
  return (await attest(subjects, provenance, keySigner(key.privateKey))).bundle;
}

const artifactDigests = [{ sha256: SHA_A }];

describe("SLSA Build levels: service keys and user keys", () => {
  it("gives L3 to service-built provenance signed by a trusted service key (--service-key)", async () => {
    const options: VerifyOptions = { trustedKeys: [], serviceKeys: [{ publicKey: service.publicKey }], artifactDigests, policy: { minimumLevel: 3 } };
    const report = verify(await signedBy(service), options);
    expect(report.verified).toBe(true);
    expect(report.slsaLevel.level).toBe(3);
    expect(report.slsaLevel.reason).toContain("signing service");
    // The same as a TrustedKey flagged as a service key (policy files' `service: true`).
    expect(verify(await signedBy(service), { trustedKeys: [{ publicKey: service.publicKey, service: true }], artifactDigests }).slsaLevel.level).toBe(3);
  });

  it("never gives L3 to a user key, even when its provenance claims service-oidc-token", async () => {
    const report = verify(await signedBy(user), {
      trustedKeys: [{ publicKey: user.publicKey }],
      serviceKeys: [{ publicKey: service.publicKey }],
      artifactDigests,
      policy: { minimumLevel: 3 },
    });
    expect(report.slsaLevel.level).toBe(2);
    expect(report.slsaLevel.reason).toMatch(/signed by a user key, not a trusted service key/);
    expect(report.checks.find((c) => c.id === "slsaLevel")).toMatchObject({ status: "fail", code: "POLICY_DENIED" });
  });

  it("does not let the service key's trust leak to a user key listed beside it", async () => {
    // Same key given as user key: still L3 (a key listed twice counts as the service's).
    const both = verify(await signedBy(service), {
      trustedKeys: [{ publicKey: service.publicKey }],
      serviceKeys: [{ publicKey: service.publicKey }],
      artifactDigests,
    });
    expect(both.slsaLevel.level).toBe(3);
    const userOnly = verify(await signedBy(service), { trustedKeys: [{ publicKey: service.publicKey }], artifactDigests });
    expect(userOnly.slsaLevel.level).toBe(2);
  });

  it("reports user-key OIDC provenance as L2 as claimed by the key holder", async () => {
    const report = verify(await signedBy(user, sampleProvenance()), { trustedKeys: [{ publicKey: user.publicKey }], artifactDigests });
    expect(report.slsaLevel.level).toBe(2);
    expect(report.slsaLevel.reason).toContain("as claimed by the key holder");
  });

  it("says the subject digests of service-built provenance are the build's word, except those the service hashed itself", async () => {
    const options: VerifyOptions = { trustedKeys: [], serviceKeys: [{ publicKey: service.publicKey }], artifactDigests };
    expect(verify(await signedBy(service), options).notes).toContainEqual(expect.stringContaining("the subject digests are the build's word"));
    const two = [...subjects, { name: "registry.example/acme/app", digest: { sha256: "b".repeat(64) } }];
    const hashed = serviceProvenance();
    hashed.runDetails.metadata = { ...hashed.runDetails.metadata, provenant_subjectsHashedByService: [two[1]] };
    const partly = verify((await attest(two, hashed, keySigner(service.privateKey))).bundle, options);
    expect(partly.notes).toContainEqual("1 of 2 subject digests are the build's word (the digests the job sent); the signing service computed the other 1 itself (provenant_subjectsHashedByService)");
    const all = verify((await attest([two[1]!], hashed, keySigner(service.privateKey))).bundle, { ...options, artifactDigests: [two[1]!.digest] });
    expect(all.notes).toContainEqual(expect.stringContaining("every subject digest (1) was computed by the signing service itself"));
    // A user key's provenance carries no such note: its every field is the key holder's word.
    expect(verify(await signedBy(user, sampleProvenance()), { trustedKeys: [{ publicKey: user.publicKey }], artifactDigests }).notes.join("\n")).not.toContain("build's word");
  });

  it("caps service-built provenance from a self-managed runner at L2, and local builds at L1", async () => {
    const options: VerifyOptions = { trustedKeys: [], serviceKeys: [{ publicKey: service.publicKey }], artifactDigests };
    const selfManaged = verify(await signedBy(service, serviceProvenance(SELF_MANAGED)), options);
    expect(selfManaged.slsaLevel).toMatchObject({ level: 2, reason: expect.stringContaining("self-managed GitLab runner") });
    const local = verify(await signedBy(service, serviceProvenance(HOSTED, "service-oidc-token", BUILD_TYPES.local)), options);
    expect(local.slsaLevel.level).toBe(1);
  });

  it("judges what a service key signed without service-oidc-token like a user key's", async () => {
    const options: VerifyOptions = { trustedKeys: [], serviceKeys: [{ publicKey: service.publicKey }], artifactDigests };
    const report = verify(await signedBy(service, serviceProvenance(HOSTED, "environment")), options);
    expect(report.slsaLevel.level).toBe(1);
    expect(report.slsaLevel.reason).toContain("not provenance the service built");
  });
});

describe("SLSA Build levels: Jenkins, a self-managed controller", () => {
  const CONTROLLER = "https://ci.example.com/";
  function jenkins(metadata: Record<string, unknown>, factsSource = "service-oidc-token") {
    const provenance = serviceProvenance(CONTROLLER, factsSource, BUILD_TYPES.jenkins);
    provenance.runDetails.metadata = { ...provenance.runDetails.metadata, ...metadata };
    return provenance;
  }
  const asService: VerifyOptions = { trustedKeys: [], serviceKeys: [{ publicKey: service.publicKey }], artifactDigests };

  it("is L2 when the service built it but its operator did not declare the controller hardened", async () => {
    const report = verify(await signedBy(service, jenkins({})), asService);
    expect(report.slsaLevel.level).toBe(2);
    expect(report.slsaLevel.reason).toContain("did not declare it hardened");
  });

  it("is L3 when the service recorded its operator's declaration, under the service key only", async () => {
    const hardened = jenkins({ [PLATFORM_HARDENED_FIELD]: true });
    const report = verify(await signedBy(service, hardened), asService);
    expect(report.slsaLevel.level).toBe(3);
    expect(report.slsaLevel.reason).toContain("declared hardened");
    // A user key can write the same field: it is never L3.
    const byUser = verify(await signedBy(user, hardened), { trustedKeys: [{ publicKey: user.publicKey }], artifactDigests });
    expect(byUser.slsaLevel.level).toBe(2);
    expect(byUser.slsaLevel.reason).toContain("as claimed by the key holder");
    // Only provenance the service built counts, whatever else its key signed.
    const notServiceBuilt = verify(await signedBy(service, jenkins({ [PLATFORM_HARDENED_FIELD]: true }, "oidc-token")), asService);
    expect(notServiceBuilt.slsaLevel.level).toBe(2);
    // The field must be the boolean true the service writes, not any truthy text.
    expect(verify(await signedBy(service, jenkins({ [PLATFORM_HARDENED_FIELD]: "yes" })), asService).slsaLevel.level).toBe(2);
  });
});
