import { type Policy, verify } from "@provenant/core";
import { describe, expect, it } from "vitest";
import { evaluatePolicy } from "../evaluate/evaluate.js";
import { compilePolicy } from "../load/load.js";
import { COMMIT, ecKeys, SHA_APP, SHA_OTHER, signedProvenance, signedStatement, TEST_RESULT_V01 } from "../test-support/evidence.js";
import { FLAG_RULE_NAME, policyFromFlags } from "./flag-policy.js";

// Today's verify flags go through evaluatePolicy. Their reports must be the
// ones core's verify gives for the same flags, check for check and note for
// note, so that the flag-only output and exit codes users see stay the same.

const ci = ecKeys();
const second = ecKeys();
const stranger = ecKeys();
const now = new Date("2026-12-04T12:00:00Z");
const HOSTED = "https://gitlab.com/acme/app/-/runners/gitlab-hosted";

const flagSets: Policy[] = [
  {},
  { sourceUri: "gitlab.example.com/acme/*" },
  { sourceUri: "github.com/acme/app" },
  { builderId: "https://gitlab.example.com/acme/app/-/runners/hosted" },
  { builderId: "https://elsewhere.example/builder" },
  { buildType: "https://provenant.dev/buildtypes/gitlab-ci/v1", sourceUri: "gitlab.example.com/acme/app" },
  { buildType: "https://provenant.dev/buildtypes/local/v1" },
  { sourceUri: "gitlab.example.com/acme/app", sourceTag: "v1.*", sourceVersionedTag: "^1.4.0" },
  { sourceUri: "gitlab.example.com/acme/app", sourceBranch: "main" },
  { sourceUri: "gitlab.example.com/acme/app", minimumLevel: 2 },
  { sourceUri: "gitlab.example.com/acme/app", minimumLevel: 3 },
  { sourceUri: "gitlab.example.com/acme/app", sourceCommit: COMMIT },
  { sourceUri: "gitlab.example.com/acme/app", sourceCommit: "f".repeat(40) },
  { sourceUri: "gitlab.example.com/acme/app", buildInputs: { ref: "refs/tags/v1.4.0" } },
  { sourceUri: "gitlab.example.com/acme/app", buildInputs: { ref: "refs/heads/main" } },
  { sourceUri: "gitlab.example.com/acme/app", denySelfHosted: true },
  { predicateType: TEST_RESULT_V01 },
  { predicateType: TEST_RESULT_V01, sourceUri: "gitlab.example.com/acme/app", minimumLevel: 1 },
];

async function documents() {
  return {
    tagged: await signedProvenance(ci.privateKey),
    branch: await signedProvenance(ci.privateKey, { ref: "refs/heads/main" }),
    hosted: await signedProvenance(ci.privateKey, { builderId: HOSTED }),
    otherRepository: await signedProvenance(ci.privateKey, { repository: "gitlab.example.com/other/lib" }),
    otherArtifact: await signedProvenance(ci.privateKey, {}, SHA_OTHER),
    untrusted: await signedProvenance(stranger.privateKey),
    tests: await signedStatement(ci.privateKey, TEST_RESULT_V01, { result: "PASSED", configuration: [] }),
    garbage: { mediaType: "nonsense" },
  };
}

describe("policyFromFlags: verify's flags as a one-rule policy", () => {
  it("reports on every document exactly as core's verify does with the same flags", async () => {
    const docs = Object.entries(await documents());
    const pem = (k: { pem: string }) => k.pem;
    const keys = [{ name: "--key ci.pub", pem: pem(ci) }];
    const trustedKeys = [{ publicKey: ci.publicKey }];
    const artifact = { name: "dist/app-1.4.0.tgz", digest: { sha256: SHA_APP } };
    let compared = 0;
    for (const flags of flagSets) {
      const policy = await compilePolicy(policyFromFlags(flags, keys), { source: "flags" });
      const decision = await evaluatePolicy(policy, artifact, docs.map(([, d]) => d), { now, everyDocument: true });
      const outcome = decision.rules[0]!;
      expect(outcome.rule).toBe(FLAG_RULE_NAME);
      expect(outcome.reports).toHaveLength(docs.length);
      docs.forEach(([name, document], i) => {
        const expected = verify(document, { trustedKeys, artifactDigests: [artifact.digest], artifactNames: [artifact.name], policy: flags });
        const { statement: _a, provenance: _b, ...ours } = outcome.reports![i]!;
        const { statement: _c, provenance: _d, ...theirs } = expected;
        expect({ flags, name, report: ours }).toEqual({ flags, name, report: theirs });
        compared++;
      });
      // The decision agrees with the reports: allowed exactly when one document verified.
      expect(decision.allowed).toBe(outcome.reports!.some((r) => r.verified));
    }
    expect(compared).toBe(flagSets.length * docs.length);
  });

  it("keeps --threshold: two distinct keys must have signed", async () => {
    const keys = [
      { name: "--key ci.pub", pem: ci.pem },
      { name: "--key second.pub", pem: second.pem },
    ];
    const policy = await compilePolicy(policyFromFlags({ sourceUri: "gitlab.example.com/acme/*" }, keys, 2), { source: "flags" });
    const decision = await evaluatePolicy(policy, { digest: { sha256: SHA_APP } }, [await signedProvenance(ci.privateKey)], { now, everyDocument: true });
    expect(decision.allowed).toBe(false);
    expect(decision.rules[0]!.reports![0]!.checks.find((c) => c.id === "signature")).toMatchObject({ status: "fail" });
  });

  it("names the same key file given twice apart, and marks --service-key keys as service keys", async () => {
    const file = policyFromFlags({}, [
      { name: "--key a.pub", pem: ci.pem },
      { name: "--key a.pub", pem: ci.pem },
      { name: "--service-key s.pub", pem: second.pem, service: true },
    ]);
    expect(file.trust.keys.map((k) => [k.name, k.service ?? false])).toEqual([
      ["--key a.pub", false],
      ["--key a.pub (2)", false],
      ["--service-key s.pub", true],
    ]);
    await expect(compilePolicy(file, { source: "flags" })).resolves.toBeDefined();
  });
});
