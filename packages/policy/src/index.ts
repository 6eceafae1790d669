export {
  POLICY_API_VERSION,
  PolicyFileSchema,
  policyJsonSchema,
  type CelRule,
  type EvidenceRequirement,
  type PolicyFile,
  type PolicyRule,
  type ProvenanceRules,
  type RegoRule,
  type Signers,
} from "./schema/policy-file.js";
export { MAX_POLICY_BYTES, parsePolicyFile } from "./load/parse.js";
export {
  compilePolicy,
  loadPolicy,
  logKeyOfTrustedRoot,
  type LoadedPolicy,
  type LoadedRule,
  type LoadOptions,
  type PolicyKey,
  type PolicyLog,
} from "./load/load.js";
export { FLAG_RULE_NAME, policyFromFlags, type FlagKey } from "./flags/flag-policy.js";
export { checkLogProof, type LogProofResult } from "./evaluate/log-proof.js";
export { compileCel, type CompiledCel } from "./cel/cel.js";
export { decisionOf, type RegoDecision, type RegoEvaluator } from "./rego/evaluator.js";
export { wasmEvaluator, wasmFromBundle } from "./rego/wasm.js";
export { opaModuleEvaluator, type OpaBinaryOptions } from "./rego/opa-binary.js";
export { opaServerEvaluator } from "./rego/opa-server.js";
export { examineAttestation, type ExaminedAttestation } from "./evaluate/attestations.js";
export {
  evaluatePolicy,
  type ArtifactUnderTest,
  type EvaluateOptions,
  type PolicyDecision,
  type PolicyInput,
  type RuleCheck,
  type RuleOutcome,
} from "./evaluate/evaluate.js";
export {
  evaluateArtifacts,
  type ArtifactDecision,
  type ArtifactEvidence,
  type ArtifactsEvaluation,
} from "./evaluate/artifacts.js";
export { artifactLabel, explainDecision, explainDecisions } from "./evaluate/explain.js";
export { policySummaryMarkdown, SUMMARY_ARTIFACTS, type PolicySummaryFacts } from "./evaluate/summary-markdown.js";
export { VSA_PREDICATE_TYPE, vsaStatement, type VsaInput } from "./vsa/vsa.js";
export { PolicyCaseSchema, parsePolicyCase, runPolicyCase, type CaseResult, type PolicyCase } from "./cases/cases.js";
