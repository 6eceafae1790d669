import { type DigestSet, ProvenantError, parseDigestReference, parseWith } from "@provenant/core";
import * as z from "zod";
import { evaluatePolicy, type PolicyDecision } from "../evaluate/evaluate.js";
import type { LoadedPolicy } from "../load/load.js";

/**
 * One case of `provenant policy test` (conftest's habit: inputs beside the
 * expected decision), kept as YAML or JSON in the policy repository.
 */
export const PolicyCaseSchema = z.strictObject({
  name: z.string().min(1),
  artifact: z.strictObject({
    name: z.string().min(1).optional(),
    digest: z.string().min(1),
    image: z.string().min(1).optional(),
  }),
  /** Attestation files (bundles, envelopes, .intoto.jsonl), relative to the case file. */
  evidence: z.array(z.string().min(1)).default([]),
  /** The time the case is evaluated at (provenance age), RFC 3339. */
  now: z.iso.datetime({ offset: true }),
  expect: z.enum(["allow", "deny"]),
  /** Optional: a rule that must fail (or be the reason) for a deny. */
  failingRules: z.array(z.string()).optional(),
});
export type PolicyCase = z.infer<typeof PolicyCaseSchema>;

export interface CaseResult {
  name: string;
  source: string;
  pass: boolean;
  reason: string;
  decision?: PolicyDecision;
}

export function parsePolicyCase(value: unknown, source: string): PolicyCase {
  return parseWith(PolicyCaseSchema, value, "INVALID_POLICY", source);
}

function digestOf(text: string, source: string): DigestSet {
  const digest = parseDigestReference(text);
  if (!digest) throw new ProvenantError("INVALID_DIGEST", `${source}: artifact.digest ${text}: expected sha256:<64 lowercase hex>`);
  return { [digest.algorithm]: digest.hex };
}

/** Runs one case: the documents are already read (the caller owns the disk). */
export async function runPolicyCase(
  policy: LoadedPolicy,
  testCase: PolicyCase,
  documents: readonly unknown[],
  source: string,
): Promise<CaseResult> {
  const decision = await evaluatePolicy(
    policy,
    {
      digest: digestOf(testCase.artifact.digest, source),
      ...(testCase.artifact.name ? { name: testCase.artifact.name } : {}),
      ...(testCase.artifact.image ? { image: testCase.artifact.image } : {}),
    },
    documents,
    { now: new Date(testCase.now) },
  );
  const got = decision.allowed ? "allow" : "deny";
  if (got !== testCase.expect) {
    return { name: testCase.name, source, pass: false, reason: `expected ${testCase.expect}, got ${got}: ${decision.reason}`, decision };
  }
  const failed = decision.rules.filter((r) => r.status === "fail").map((r) => r.rule);
  const missing = (testCase.failingRules ?? []).filter((rule) => !failed.includes(rule));
  if (missing.length > 0) {
    return { name: testCase.name, source, pass: false, reason: `expected rule(s) ${missing.join(", ")} to fail; failing: ${failed.join(", ") || "none"}`, decision };
  }
  return { name: testCase.name, source, pass: true, reason: `${got}, as expected`, decision };
}
