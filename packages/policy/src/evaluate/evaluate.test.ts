import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compilePolicy } from "../load/load.js";
import { parsePolicyFile } from "../load/parse.js";
import {
  ecKeys,
  SHA_APP,
  SHA_OTHER,
  signedProvenance,
  signedStatement,
  TEST_RESULT_V01,
  VULNS_V02,
} from "../test-support/evidence.js";
import { evaluatePolicy } from "./evaluate.js";

const ci = ecKeys();
const scanner = ecKeys();
const stranger = ecKeys();
const now = new Date("2026-12-04T12:00:00Z");
const artifact = { name: "dist/app-1.4.0.tgz", digest: { sha256: SHA_APP } };
const cacheDir = mkdtempSync(join(tmpdir(), "provenant-policy-"));

const indent = (pem: string) => pem.trim().split("\n").join("\n        ");

async function policy(rules: string) {
  const text = `
apiVersion: provenant.dev/v1
trust:
  keys:
    - name: ci
      pem: |
        ${indent(ci.pem)}
    - name: scanner
      pem: |
        ${indent(scanner.pem)}
rules:
${rules}`;
  return compilePolicy(parsePolicyFile(text, "policy.yaml"), { source: "policy.yaml", cacheDir });
}

const release = `
  - name: release
    match:
      artifacts: ["dist/*.tgz"]
    provenance:
      signers: { keys: [ci] }
      sourceUris: ["gitlab.example.com/acme/*"]
      tags: ["v*"]
      versionedTag: ">=1.0.0 <2"
      minimumLevel: 2
      maxAge: 30d
    evidence:
      - predicateType: ${TEST_RESULT_V01}
        cel:
          - expr: 'predicate.result == "PASSED"'
            message: tests must pass
      - predicateType: ${VULNS_V02}
        signers: { keys: [scanner] }
        cel:
          - expr: '!predicate.scanner.result.exists(v, v.severity == "CRITICAL")'
            message: no critical vulnerabilities
`;

async function goodEvidence() {
  return [
    await signedProvenance(ci.privateKey),
    await signedStatement(ci.privateKey, TEST_RESULT_V01, { result: "PASSED", configuration: [] }),
    await signedStatement(scanner.privateKey, VULNS_V02, { scanner: { result: [{ id: "CVE-1", severity: "LOW" }] } }),
  ];
}

const failing = (decision: Awaited<ReturnType<typeof evaluatePolicy>>) =>
  decision.rules.flatMap((r) => r.checks.filter((c) => !c.pass).map((c) => c.name));

describe("evaluatePolicy", () => {
  it("allows a release whose provenance, tests and scan all satisfy the rule, and explains each check", async () => {
    const decision = await evaluatePolicy(await policy(release), artifact, await goodEvidence(), { now });
    expect(decision.allowed).toBe(true);
    expect(decision.rules[0]?.status).toBe("pass");
    expect(decision.rules[0]?.checks.map((c) => c.name)).toEqual([
      "provenance",
      "sourceUri",
      "sourceTag",
      "sourceVersionedTag",
      "slsaLevel",
      "maxAge",
      "evidence",
      "evidence",
    ]);
    expect(decision.report?.slsaLevel.level).toBe(2);
    expect(decision.inputAttestations).toHaveLength(1);
  });

  it("denies a critical vulnerability, with the rule's message", async () => {
    const evidence = await goodEvidence();
    evidence[2] = await signedStatement(scanner.privateKey, VULNS_V02, { scanner: { result: [{ id: "CVE-2", severity: "CRITICAL" }] } });
    const decision = await evaluatePolicy(await policy(release), artifact, evidence, { now });
    expect(decision.allowed).toBe(false);
    expect(decision.rules[0]?.reason).toContain("no critical vulnerabilities");
  });

  it("does not accept a scan signed by a key the evidence rule does not list", async () => {
    const evidence = await goodEvidence();
    evidence[2] = await signedStatement(ci.privateKey, VULNS_V02, { scanner: { result: [] } });
    const decision = await evaluatePolicy(await policy(release), artifact, evidence, { now });
    expect(decision.allowed).toBe(false);
    expect(decision.rules[0]?.reason).toContain("expected 1 of scanner");
  });

  it("denies when required evidence is missing", async () => {
    const evidence = (await goodEvidence()).slice(0, 2);
    const decision = await evaluatePolicy(await policy(release), artifact, evidence, { now });
    expect(decision.allowed).toBe(false);
    expect(decision.rules[0]?.reason).toContain(`no ${VULNS_V02} attestation`);
  });

  it("fails each provenance check with its own reason: branch instead of tag, out-of-range version, old build, other repository", async () => {
    const cases = [
      [{ ref: "refs/heads/main" }, ["sourceTag", "sourceVersionedTag"]],
      [{ ref: "refs/tags/v2.0.0" }, ["sourceVersionedTag"]],
      [{ startedOn: "2026-10-01T00:00:00Z" }, ["maxAge"]],
      [{ repository: "gitlab.example.com/evil/app" }, ["sourceUri"]],
      [{ factsSource: "environment" }, ["slsaLevel"]],
    ] as const;
    for (const [shape, expected] of cases) {
      const evidence = await goodEvidence();
      evidence[0] = await signedProvenance(ci.privateKey, shape);
      const decision = await evaluatePolicy(await policy(release), artifact, evidence, { now });
      expect(decision.allowed, JSON.stringify(shape)).toBe(false);
      expect(failing(decision), JSON.stringify(shape)).toEqual(expected);
    }
  });

  it("does not take provenance signed by an untrusted key or about another artifact", async () => {
    for (const provenance of [await signedProvenance(stranger.privateKey), await signedProvenance(ci.privateKey, {}, SHA_OTHER)]) {
      const evidence = await goodEvidence();
      evidence[0] = provenance;
      const decision = await evaluatePolicy(await policy(release), artifact, evidence, { now });
      expect(decision.allowed).toBe(false);
      expect(failing(decision)).toContain("provenance");
    }
  });

  it("never crashes on malformed evidence: it fails the rule that needed it", async () => {
    const evidence = [{ mediaType: "nonsense" }, "a string", null, { payloadType: "x", payload: "%%%", signatures: [] }];
    const decision = await evaluatePolicy(await policy(release), artifact, evidence, { now });
    expect(decision.allowed).toBe(false);
    expect(decision.rules[0]?.status).toBe("fail");
  });

  it("denies an artifact no rule applies to, and marks the rule not applicable with why", async () => {
    const other = { name: "docs/readme.pdf", digest: { sha256: SHA_APP } };
    const decision = await evaluatePolicy(await policy(release), other, await goodEvidence(), { now });
    expect(decision.allowed).toBe(false);
    expect(decision.rules[0]?.status).toBe("not-applicable");
    expect(decision.reason).toContain("no rule of the policy applies");
  });

  it("matches rules by repository only on verified provenance", async () => {
    const byRepo = `
  - name: acme repositories
    match:
      repositories: ["gitlab.example.com/acme/*"]
    provenance:
      minimumLevel: 2
`;
    const ours = await evaluatePolicy(await policy(byRepo), artifact, [await signedProvenance(ci.privateKey)], { now });
    expect(ours.allowed).toBe(true);
    const forged = await evaluatePolicy(await policy(byRepo), artifact, [await signedProvenance(stranger.privateKey)], { now });
    expect(forged.allowed).toBe(false);
    expect(forged.rules[0]?.status).toBe("not-applicable");
  });

  it("evaluates CEL over {statement, predicate, subject, report, evidence} and shows the message when false", async () => {
    const cel = `
  - name: tags only
    cel:
      - expr: 'report.source.ref.startsWith("refs/tags/") && subject.name.endsWith(".tgz") && size(evidence) == 0'
        message: release artifacts are built from tags
`;
    const pass = await evaluatePolicy(await policy(cel), artifact, [await signedProvenance(ci.privateKey)], { now });
    expect(pass.allowed).toBe(true);
    const fail = await evaluatePolicy(await policy(cel), artifact, [await signedProvenance(ci.privateKey, { ref: "refs/heads/dev" })], { now });
    expect(fail.allowed).toBe(false);
    expect(fail.rules[0]?.reason).toBe("release artifacts are built from tags");
  });

  it("fails a CEL rule that reads a missing field instead of throwing", async () => {
    const cel = `
  - name: missing
    cel:
      - expr: 'predicate.nothing.here == 1'
        message: needs a field
`;
    const decision = await evaluatePolicy(await policy(cel), artifact, [await signedProvenance(ci.privateKey)], { now });
    expect(decision.allowed).toBe(false);
    expect(decision.rules[0]?.reason).toContain("needs a field (CEL could not evaluate");
  });
});
