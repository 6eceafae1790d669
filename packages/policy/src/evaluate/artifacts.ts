import type { LoadedPolicy } from "../load/load.js";
import { type ArtifactUnderTest, type EvaluateOptions, evaluatePolicy, type PolicyDecision } from "./evaluate.js";

/** One artifact and every document that is evidence for it. */
export interface ArtifactEvidence<A extends ArtifactUnderTest = ArtifactUnderTest> {
  artifact: A;
  documents: readonly unknown[];
}

/** One artifact's decision. */
export interface ArtifactDecision<A extends ArtifactUnderTest = ArtifactUnderTest> {
  artifact: A;
  decision: PolicyDecision;
}

/** What a gate renders: its text, `--json`, a job summary or an API answer. */
export interface ArtifactsEvaluation<A extends ArtifactUnderTest = ArtifactUnderTest> {
  /** Every artifact allowed (and at least one evaluated). */
  allowed: boolean;
  /** One per artifact, in the order given. */
  decisions: ArtifactDecision<A>[];
  /** The lowest SLSA Build level the deciding provenance supports across the artifacts (0 when one has none). */
  slsaLevel: number;
}

/**
 * The policy gate every front end runs (CLI, GitHub action, Azure task,
 * server): each artifact checked against the policy with its evidence, at one
 * `now`, so a gate's decisions agree with each other and with a re-run of
 * `provenant verify --policy`. Artifacts are evaluated one after another:
 * a Rego rule may call an OPA server, which should see one request at a time
 * per gate.
 */
export async function evaluateArtifacts<A extends ArtifactUnderTest>(
  policy: LoadedPolicy,
  evidence: readonly ArtifactEvidence<A>[],
  options: EvaluateOptions,
): Promise<ArtifactsEvaluation<A>> {
  const decisions: ArtifactDecision<A>[] = [];
  for (const { artifact, documents } of evidence) {
    decisions.push({ artifact, decision: await evaluatePolicy(policy, artifact, documents, options) });
  }
  return {
    allowed: decisions.length > 0 && decisions.every(({ decision }) => decision.allowed),
    decisions,
    slsaLevel: decisions.length === 0 ? 0 : Math.min(...decisions.map(({ decision }) => decision.report?.slsaLevel.level ?? 0)),
  };
}
