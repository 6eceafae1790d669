import type { Policy } from "@provenant/core";
import { POLICY_API_VERSION, type PolicyFile, type ProvenanceRules } from "../schema/policy-file.js";

/** A trusted key given on the command line (`--key`, `--service-key`). */
export interface FlagKey {
  /** How explanations name it, e.g. `--key release.pub`. */
  name: string;
  /** SPKI PEM. */
  pem: string;
  service?: boolean;
}

/** The name of the one rule a flag policy holds. */
export const FLAG_RULE_NAME = "command-line flags";

/**
 * Today's `provenant verify` flags (core's Policy: --source-uri, --builder-id,
 * --slsa-level, ...) with --key/--service-key and --threshold, as an
 * in-memory policy file of one rule that applies to every artifact: flags
 * and policy files take one evaluation path (evaluatePolicy). Each flag
 * keeps its meaning: one value, matched as core matches it.
 */
export function policyFromFlags(rules: Policy, keys: readonly FlagKey[], threshold = 1): PolicyFile {
  const provenance: ProvenanceRules = {
    ...(rules.builderId !== undefined && { builderIds: [rules.builderId] }),
    ...(rules.buildType !== undefined && { buildTypes: [rules.buildType] }),
    ...(rules.sourceUri !== undefined && { sourceUris: [rules.sourceUri] }),
    ...(rules.sourceBranch !== undefined && { branches: [rules.sourceBranch] }),
    ...(rules.sourceTag !== undefined && { tags: [rules.sourceTag] }),
    ...(rules.sourceVersionedTag !== undefined && { versionedTag: rules.sourceVersionedTag }),
    ...(rules.minimumLevel !== undefined && { minimumLevel: rules.minimumLevel }),
    ...(rules.sourceCommit !== undefined && { sourceCommit: rules.sourceCommit }),
    ...(rules.buildInputs !== undefined && { buildInputs: rules.buildInputs }),
    ...(rules.denySelfHosted && { denySelfHosted: true }),
    ...(rules.predicateType !== undefined && { predicateType: rules.predicateType }),
  };
  // The same file given twice still needs two names: suffixed, so that compilePolicy accepts them.
  const seen = new Map<string, number>();
  const named = keys.map((key) => {
    const count = (seen.get(key.name) ?? 0) + 1;
    seen.set(key.name, count);
    return { name: count === 1 ? key.name : `${key.name} (${count})`, pem: key.pem, ...(key.service && { service: true }) };
  });
  return {
    apiVersion: POLICY_API_VERSION,
    metadata: { name: "provenant verify flags" },
    trust: { keys: named },
    rules: [
      {
        name: FLAG_RULE_NAME,
        provenance: { ...provenance, signers: { keys: named.map((k) => k.name), threshold } },
      },
    ],
  };
}
