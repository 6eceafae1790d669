import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type DigestSet, parseDigestReference, printable, ProvenantError, readSignedDocuments } from "@provenant/core";
import { type ArtifactDecision, evaluateArtifacts, explainDecisions, loadPolicy, policySummaryMarkdown } from "@provenant/policy";
import { resolveSubjects } from "@provenant/subjects";
import { type ActionContext, actionIo } from "../context.js";
import type { VerifyActionInputs } from "../inputs.js";
import { readText } from "./run.js";

export interface PolicyArtifact {
  name: string;
  digest: DigestSet;
}

export interface PolicyVerifyResult {
  /** Every artifact allowed. */
  verified: boolean;
  decisions: ArtifactDecision<PolicyArtifact>[];
  /** The per-rule explanation for the job log, one line each, escaped for the log. */
  explanation: string[];
  /** Why the gate failed, one line per denied artifact and failed rule; empty when allowed. */
  failures: string[];
  summary: string;
  /** The lowest SLSA Build level the deciding provenance supports across the artifacts (0 when one has none). */
  slsaLevel: number;
}

/** Inputs a policy file replaces: with both, one of them would be silently ignored. */
const SINGLE_RULE_INPUTS = [
  ["public-key", "publicKey"],
  ["builder-id", "builderId"],
  ["build-type", "buildType"],
  ["source-uri", "sourceUri"],
  ["source-branch", "sourceBranch"],
  ["source-tag", "sourceTag"],
  ["source-versioned-tag", "sourceVersionedTag"],
  ["slsa-level", "slsaLevel"],
] as const;

async function artifactsOf(inputs: VerifyActionInputs, context: ActionContext): Promise<PolicyArtifact[]> {
  const artifacts: PolicyArtifact[] = inputs.subjectDigests.map((text) => {
    const digest = parseDigestReference(text);
    if (!digest) throw new ProvenantError("INVALID_DIGEST", `subject-digest ${text}: expected sha256:<64 lowercase hex characters>`);
    return { name: text, digest: { [digest.algorithm]: digest.hex } };
  });
  if (inputs.subjectPaths.length > 0) {
    const subjects = await resolveSubjects({ patterns: inputs.subjectPaths, checksumFiles: [], digests: [] }, actionIo(context));
    artifacts.push(...subjects.map((s, i) => ({ name: s.name ?? inputs.subjectPaths[i] ?? "artifact", digest: s.digest })));
  }
  return artifacts;
}

/**
 * The verify action with `policy`: the gate `provenant verify --policy`
 * is, through the same library calls (@provenant/policy's loadPolicy,
 * evaluateArtifacts, explainDecisions, policySummaryMarkdown), so a release manager re-running the
 * CLI gets the same decision. A denial is a result; bad inputs throw.
 */
export async function runPolicyVerifyAction(inputs: VerifyActionInputs, context: ActionContext): Promise<PolicyVerifyResult> {
  const mixed = SINGLE_RULE_INPUTS.filter(([, key]) => inputs[key].trim() !== "").map(([name]) => name);
  if (mixed.length > 0) {
    throw new ProvenantError("USAGE", `policy names a policy file, whose trusted keys and rules decide; leave out ${mixed.join(", ")} (write them as rules in the policy)`);
  }
  if (inputs.image) {
    throw new ProvenantError("USAGE", "policy with image is not supported yet; give bundle-path and subject-path (or subject-digest), or verify the image without policy");
  }
  const artifacts = await artifactsOf(inputs, context);
  if (artifacts.length === 0) throw new ProvenantError("USAGE", "nothing to verify against; give subject-path or subject-digest (sha256:<hex>)");

  const policy = await loadPolicy(resolve(context.cwd, inputs.policy), {
    // Rego modules compiled by the opa binary are cached here, by content hash.
    cacheDir: join(context.env.RUNNER_TEMP || tmpdir(), "provenant-rego"),
    fetch: context.fetch,
  });
  const documents: unknown[] = [];
  for (const path of [inputs.bundlePath, ...inputs.evidence]) {
    documents.push(...readSignedDocuments(await readText(resolve(context.cwd, path), "attestation"), path));
  }
  const { allowed: verified, decisions, slsaLevel } = await evaluateArtifacts(
    policy,
    artifacts.map((artifact) => ({ artifact, documents })),
    { now: context.now() },
  );
  // Each artifact's lines start with `artifact NAME`: the runner reads a
  // line starting with `::` as a workflow command, and a file can be named `::error::…`.
  const explanation = explainDecisions(decisions).map(printable);
  const failures = decisions
    .filter(({ decision }) => !decision.allowed)
    .flatMap(({ artifact, decision }) => [
      `${artifact.name}: ${decision.reason}`,
      ...decision.rules.filter((r) => r.status === "fail").map((r) => `${artifact.name}: rule ${r.rule}: ${r.reason}`),
    ])
    .map(printable);
  return {
    verified,
    decisions,
    explanation,
    failures,
    summary: policySummaryMarkdown({ policyPath: inputs.policy, policyDigest: policy.digest, decisions, allowed: verified }),
    slsaLevel,
  };
}
