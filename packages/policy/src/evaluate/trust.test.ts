import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { trustedRoot } from "@provenant/log";
import { describe, expect, it } from "vitest";
import { compilePolicy, loadPolicy } from "../load/load.js";
import { parsePolicyFile } from "../load/parse.js";
import { ecKeys, loggedBundle, SHA_APP, signedProvenance, signedStatement, TEST_RESULT_V01 } from "../test-support/evidence.js";
import { explainDecision } from "./explain.js";
import { evaluatePolicy } from "./evaluate.js";

const ci = ecKeys();
const service = ecKeys();
const vaultLog = generateKeyPairSync("ed25519");
const otherLog = generateKeyPairSync("ed25519");
const now = new Date("2026-12-04T12:00:00Z");
const artifact = { name: "dist/app-1.4.0.tgz", digest: { sha256: SHA_APP } };
const dir = mkdtempSync(join(tmpdir(), "provenant-policy-trust-"));
const indent = (pem: string, spaces = 8) => pem.trim().split("\n").join(`\n${" ".repeat(spaces)}`);
const HOSTED = "https://gitlab.com/acme/app/-/runners/gitlab-hosted";

async function policy(trust: string, rules: string) {
  const text = `
apiVersion: provenant.dev/v1
trust:
  keys:
    - name: ci
      pem: |
        ${indent(ci.pem)}
    - name: provenant-service
      service: true
      pem: |
        ${indent(service.pem)}
${trust}
rules:
${rules}`;
  return compilePolicy(parsePolicyFile(text, "policy.yaml"), { source: "policy.yaml", cacheDir: dir });
}

const logPem = (key = vaultLog.publicKey) => key.export({ type: "spki", format: "pem" }).toString();
const withLogKey = `  log:
    pem: |
      ${indent(logPem(), 6)}`;
const releaseRule = `
  - name: release
    provenance:
      sourceUris: ["gitlab.example.com/acme/*"]
    evidence:
      - predicateType: ${TEST_RESULT_V01}
        cel: [{ expr: 'predicate.result == "PASSED"', message: tests must pass }]
`;

const tests = () => signedStatement(ci.privateKey, TEST_RESULT_V01, { result: "PASSED", configuration: [] });

describe("trust.log: inclusion proofs in the vault's log", () => {
  it("allows provenance and evidence whose log entries verify against the policy's log key, and says so", async () => {
    const evidence = [await loggedBundle(await signedProvenance(ci.privateKey), ci.pem, vaultLog.privateKey), await loggedBundle(await tests(), ci.pem, vaultLog.privateKey)];
    const decision = await evaluatePolicy(await policy(withLogKey, releaseRule), artifact, evidence, { now });
    expect(explainDecision(decision).join("\n")).toContain("ALLOWED");
    const checks = decision.rules[0]!.checks;
    expect(checks.find((c) => c.name === "transparencyLog")).toMatchObject({ pass: true, reason: expect.stringContaining("logged at index 3") });
    expect(checks.find((c) => c.name === "evidence")?.reason).toContain("in the vault's log");
    // The report renderers show: the log check passed, and no "not checked" note is left.
    expect(decision.report?.checks.at(-1)).toMatchObject({ id: "transparencyLog", status: "pass" });
    expect(decision.report?.notes?.join(" ")).not.toContain("transparency log entr");
  });

  it("fails the rule for provenance without a log entry, naming the missing proof", async () => {
    const evidence = [await signedProvenance(ci.privateKey), await loggedBundle(await tests(), ci.pem, vaultLog.privateKey)];
    const decision = await evaluatePolicy(await policy(withLogKey, releaseRule), artifact, evidence, { now });
    expect(decision.allowed).toBe(false);
    expect(decision.rules[0]!.reason).toContain("no transparency log entry; the policy requires an inclusion proof in the vault's log");
    expect(decision.rules[0]!.reports?.[0]?.checks.at(-1)).toMatchObject({ id: "transparencyLog", status: "fail", code: "INCLUSION_PROOF_MISSING" });
  });

  it("fails the rule for evidence logged by another log, or whose proof was tampered with", async () => {
    const provenance = await loggedBundle(await signedProvenance(ci.privateKey), ci.pem, vaultLog.privateKey);
    const elsewhere = await loggedBundle(await tests(), ci.pem, otherLog.privateKey);
    const denied = await evaluatePolicy(await policy(withLogKey, releaseRule), artifact, [provenance, elsewhere], { now });
    expect(denied.allowed).toBe(false);
    expect(denied.rules[0]!.reason).toContain("one is not proven to be in the vault's log: the log entry does not verify against the vault's log key");

    const tampered = await loggedBundle(await signedProvenance(ci.privateKey), ci.pem, vaultLog.privateKey);
    const entry = tampered.verificationMaterial.tlogEntries![0] as unknown as { inclusionProof: { hashes: string[] } };
    entry.inclusionProof.hashes[0] = Buffer.alloc(32, 7).toString("base64");
    const broken = await evaluatePolicy(await policy(withLogKey, releaseRule), artifact, [tampered, await loggedBundle(await tests(), ci.pem, vaultLog.privateKey)], { now });
    expect(broken.allowed).toBe(false);
    expect(broken.rules[0]!.reason).toContain("does not verify against the vault's log key");
  });

  it("with requireInclusionProof: false checks proofs only where present", async () => {
    const optional = `${withLogKey}\n    requireInclusionProof: false`;
    const unlogged = [await signedProvenance(ci.privateKey), await tests()];
    expect((await evaluatePolicy(await policy(optional, releaseRule), artifact, unlogged, { now })).allowed).toBe(true);
    const wrongLog = [await loggedBundle(await signedProvenance(ci.privateKey), ci.pem, otherLog.privateKey), await tests()];
    expect((await evaluatePolicy(await policy(optional, releaseRule), artifact, wrongLog, { now })).allowed).toBe(false);
  });

  it("reads the log key from the vault's trusted-root.json, and refuses requireInclusionProof without a key", async () => {
    writeFileSync(
      join(dir, "trusted-root.json"),
      JSON.stringify(trustedRoot({ baseUrl: "https://127.0.0.1:8443/log", origin: "127.0.0.1:8443/log", publicKey: vaultLog.publicKey, validFrom: "2026-01-01T00:00:00Z" })),
    );
    writeFileSync(join(dir, "ci.pub"), ci.pem);
    const file = (log: string) =>
      `apiVersion: provenant.dev/v1\ntrust:\n  keys: [{ name: ci, file: ci.pub }]\n  log: ${log}\nrules:\n  - name: any\n    provenance: { sourceUris: ["gitlab.example.com/acme/*"] }\n`;
    writeFileSync(join(dir, "policy.yaml"), file("{ trustedRoot: trusted-root.json }"));
    const loaded = await loadPolicy(join(dir, "policy.yaml"), { cacheDir: dir });
    const logged = await loggedBundle(await signedProvenance(ci.privateKey), ci.pem, vaultLog.privateKey);
    expect((await evaluatePolicy(loaded, artifact, [logged], { now })).allowed).toBe(true);
    expect((await evaluatePolicy(loaded, artifact, [await signedProvenance(ci.privateKey)], { now })).allowed).toBe(false);

    writeFileSync(join(dir, "no-key.yaml"), file("{ requireInclusionProof: true }"));
    await expect(loadPolicy(join(dir, "no-key.yaml"), { cacheDir: dir })).rejects.toMatchObject({
      code: "INVALID_POLICY",
      message: expect.stringContaining("requireInclusionProof needs the vault's log key"),
    });
  });
});

describe("trust.keys[].service: the signing service's key", () => {
  const levelThree = `
  - name: built by the service
    provenance:
      minimumLevel: 3
`;
  const serviceBuilt = { factsSource: "service-oidc-token", builderId: HOSTED };

  it("reaches L3 only through the key marked service", async () => {
    const decision = await evaluatePolicy(await policy("", levelThree), artifact, [await signedProvenance(service.privateKey, serviceBuilt)], { now });
    expect(decision.allowed).toBe(true);
    expect(decision.report?.slsaLevel.level).toBe(3);
  });

  it("gives the same service-built provenance signed by a user key L2, so a minimum of L3 fails with why", async () => {
    const decision = await evaluatePolicy(await policy("", levelThree), artifact, [await signedProvenance(ci.privateKey, serviceBuilt)], { now });
    expect(decision.allowed).toBe(false);
    const slsa = decision.rules[0]!.checks.find((c) => c.name === "slsaLevel");
    expect(slsa?.pass).toBe(false);
    expect(slsa?.reason).toContain("SLSA Build L2, policy requires L3");
    expect(slsa?.reason).toContain("signed by a user key, not a trusted service key");
  });

  it("does not make the service key's signature L3 on provenance the service did not build", async () => {
    const decision = await evaluatePolicy(await policy("", levelThree), artifact, [await signedProvenance(service.privateKey, { builderId: HOSTED })], { now });
    expect(decision.allowed).toBe(false);
    expect(decision.rules[0]!.reason).toContain("signed by a service key, but not provenance the service built");
  });
});

describe("loading rules core matches", () => {
  it("refuses a source pattern or semver range core's matcher would never match, naming the rule", async () => {
    await expect(policy("", `\n  - name: bad source\n    provenance: { sourceUris: ["https://user@github.com/acme/app"] }\n`)).rejects.toMatchObject({
      code: "INVALID_POLICY",
      message: expect.stringContaining("rules[0] (bad source)"),
    });
    await expect(policy("", `\n  - name: bad range\n    provenance: { versionedTag: banana }\n`)).rejects.toMatchObject({
      code: "INVALID_POLICY",
      message: expect.stringContaining("expected a semver range"),
    });
  });
});
