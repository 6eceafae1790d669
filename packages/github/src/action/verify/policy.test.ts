import { createHash, createPrivateKey } from "node:crypto";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPair, isProvenantError, keySigner, signEnvelope, toBundle } from "@provenant/core";
import { beforeAll, describe, expect, it } from "vitest";
import { pushTag, runnerEnvironment } from "../../test-support/scenarios.js";
import { runAttestAction } from "../attest/run.js";
import type { ActionContext } from "../context.js";
import { attestInputsFrom, verifyInputsFrom } from "../inputs.js";
import { runPolicyVerifyAction } from "./policy.js";
import { runVerifyAction } from "./run.js";

// The verify action's policy gate on real bundles: the attest action signs
// the artifact's provenance with a key, a test-result attestation is signed
// beside it, and policy files (as a platform team would write them) decide.
const keys = generateKeyPair("ecdsa-p256");
const TEST_RESULT = "https://in-toto.io/attestation/test-result/v0.1";
let context: ActionContext;

/** A policy trusting the CI key, with one rule for the release archive; `extra` lines go into that rule. */
function policy(extra: string[] = [], ruleName = "release archive"): string {
  return [
    "apiVersion: provenant.dev/v1",
    "kind: Policy",
    "trust:",
    "  keys:",
    "    - name: ci",
    "      file: ci.pub",
    "rules:",
    `  - name: ${JSON.stringify(ruleName)}`,
    "    match:",
    '      artifacts: ["*.tar.gz"]',
    "    provenance:",
    "      signers: { keys: [ci] }",
    '      sourceUris: ["github.com/codertocat/*"]',
    '      tags: ["simple-tag"]',
    ...extra,
    "  - name: docs only",
    "    match:",
    '      artifacts: ["docs/*"]',
    "    provenance:",
    '      sourceUris: ["github.com/codertocat/*"]',
    "",
  ].join("\n");
}

beforeAll(async () => {
  const workspace = await mkdtemp(join(tmpdir(), "provenant-verify-policy-"));
  await writeFile(join(workspace, "app.tar.gz"), "release archive");
  await writeFile(join(workspace, "ci.pub"), keys.publicKeyPem);
  context = { env: runnerEnvironment(pushTag()), cwd: workspace, fetch: globalThis.fetch, info: () => {}, warn: () => {}, now: () => new Date("2026-12-01T00:00:00Z") };
  const attestInputs: Record<string, string> = { "subject-path": "app.tar.gz", "signing-key": keys.privateKeyPem, "bundle-path": "app.sigstore.json" };
  await runAttestAction(attestInputsFrom((name) => attestInputs[name] ?? ""), context);
  // Test results for the same artifact, signed by the same key (in-toto test-result predicate).
  const statement = {
    _type: "https://in-toto.io/Statement/v1",
    subject: [{ name: "app.tar.gz", digest: { sha256: createHash("sha256").update("release archive").digest("hex") } }],
    predicateType: TEST_RESULT,
    predicate: { result: "PASSED", configuration: [], passedTests: ["unit"] },
  };
  const envelope = await signEnvelope(Buffer.from(JSON.stringify(statement)), [keySigner(createPrivateKey(keys.privateKeyPem))]);
  await writeFile(join(workspace, "tests.sigstore.json"), JSON.stringify(toBundle(envelope)));
});

async function gate(policyText: string, values: Record<string, string> = {}) {
  await writeFile(join(context.cwd, "policy.yaml"), policyText);
  const given: Record<string, string> = { "bundle-path": "app.sigstore.json", "subject-path": "app.tar.gz", policy: "policy.yaml", ...values };
  return runPolicyVerifyAction(verifyInputsFrom((name) => given[name] ?? ""), context);
}

describe("verify action with policy", () => {
  it("allows an artifact meeting the policy and explains every rule in the log and the summary", async () => {
    const result = await gate(policy());
    expect(result.verified).toBe(true);
    expect(result.failures).toEqual([]);
    expect(result.slsaLevel).toBe(1);
    expect(result.explanation[0]).toBe("artifact app.tar.gz");
    expect(result.explanation).toContainEqual(expect.stringMatching(/^ {2}PASS {2}rule release archive: /));
    expect(result.explanation).toContainEqual(expect.stringMatching(/^ {2}N\/A {3}rule docs only: /));
    expect(result.explanation.at(-1)).toMatch(/^ {2}ALLOWED: /);
    expect(result.summary).toMatch(/^## Policy allowed/);
    expect(result.summary).toContain("| ✅ | release archive | |");
    expect(result.summary).toMatch(/\| ✅ \| \| sourceUri \| /);
    expect(result.summary).toContain("| ➖ | docs only | | not applicable: ");
    const digest = createHash("sha256").update(await readFile(join(context.cwd, "policy.yaml"))).digest("hex");
    expect(result.summary).toContain(`\`sha256:${digest}\``);
  });

  it("denies with the failing rule's reasons when the provenance does not meet it", async () => {
    const result = await gate(policy(['      branches: ["main"]']));
    expect(result.verified).toBe(false);
    expect(result.failures.join("\n")).toMatch(/app\.tar\.gz: rule release archive: .*main/);
    expect(result.explanation).toContainEqual(expect.stringMatching(/^ {2}FAIL {2}rule release archive: /));
    expect(result.explanation.at(-1)).toMatch(/^ {2}DENIED: /);
    expect(result.summary).toMatch(/^## Policy DENIED/);
    expect(result.summary).toMatch(/\| ❌ \| \| sourceBranch \| /);
  });

  it("reads evidence files for the policy's evidence rules", async () => {
    const requireTests = ["    evidence:", `      - predicateType: ${TEST_RESULT}`, "        signers: { keys: [ci] }", "        cel:", '          - expr: predicate.result == "PASSED"', "            message: the tests did not pass"];
    const without = await gate(policy(requireTests));
    expect(without.verified).toBe(false);
    expect(without.failures.join("\n")).toContain(TEST_RESULT);
    const withTests = await gate(policy(requireTests), { evidence: "tests.sigstore.json" });
    expect(withTests.failures).toEqual([]);
    expect(withTests.verified).toBe(true);
  });

  it("escapes rule names and messages in the summary, and keeps them to one log line", async () => {
    const hostile = "[approve](https://evil.example) | <img src=x>\n::error::forged";
    const cel = ["    cel:", "      - expr: 'false'", `        message: ${JSON.stringify(`![pixel](https://evil.example/p.png) ${"`"}code${"`"}`)}`];
    const result = await gate(policy(cel, hostile));
    expect(result.verified).toBe(false);
    expect(result.summary).toContain("\\[approve\\]\\(https\\://evil.example\\) \\| &lt;img src=x&gt; \\:\\:error\\:\\:forged");
    expect(result.summary).toContain("\\!\\[pixel\\]\\(https\\://evil.example/p.png\\) \\`code\\`");
    expect(result.summary).not.toContain("](https://evil.example");
    expect(result.summary).not.toMatch(/(^|[^\\])<img/m);
    for (const line of [...result.explanation, ...result.failures]) expect(line).not.toMatch(/\n/);
    expect(result.explanation.some((line) => line.startsWith("::"))).toBe(false);
  });

  it("starts no log line with the artifact's name, which could be a workflow command", async () => {
    const name = "::error::forged.tar.gz";
    await writeFile(join(context.cwd, name), "release archive");
    const result = await gate(policy(), { "subject-path": name });
    expect(result.explanation[0]).toBe(`artifact ${name}`);
    expect(result.explanation.some((line) => line.startsWith("::"))).toBe(false);
  });

  it.each([
    ["a public key beside it", { "public-key": "ci.pub" }, "USAGE"],
    ["a single-rule input beside it", { "source-branch": "main", "slsa-level": "2" }, "USAGE"],
    ["an image", { "bundle-path": "", image: "ghcr.io/acme/app:1.0", "subject-path": "" }, "USAGE"],
    ["no artifact", { "subject-path": "" }, "USAGE"],
    ["a missing policy file", { policy: "nope.yaml" }, "INVALID_POLICY"],
  ])("refuses %s", async (_name, values: Record<string, string>, code) => {
    const error = await gate(policy(), values).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isProvenantError(error) && error.code).toBe(code);
  });

  it("a policy that is not one is refused with a coded error", async () => {
    const error = await gate("apiVersion: provenant.dev/v0\nrules: []\n").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isProvenantError(error) && error.code).toBe("INVALID_POLICY");
  });

  it("without policy, evidence is refused rather than ignored", async () => {
    const given: Record<string, string> = { "bundle-path": "app.sigstore.json", "subject-path": "app.tar.gz", "public-key": "ci.pub", evidence: "tests.sigstore.json" };
    const error = await runVerifyAction(verifyInputsFrom((name) => given[name] ?? ""), context).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isProvenantError(error) && error.code).toBe("USAGE");
  });
});
