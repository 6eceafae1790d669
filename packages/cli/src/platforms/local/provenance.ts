import {
  BUILD_TYPES,
  FACTS_SOURCE_FIELD,
  type ProvenanceFields,
  sourceDependency,
} from "@provenant/core";
import type { LocalFacts } from "./facts.js";

/**
 * The local buildType (docs/buildtypes/local-v1.md). Pure: every value comes
 * from the facts. Local provenance supports SLSA Build L1 only; the verify
 * report says so.
 */
export function localProvenance(facts: LocalFacts): ProvenanceFields {
  const externalParameters: Record<string, unknown> = {};
  if (facts.repositoryUrl) externalParameters.repository = facts.repositoryUrl;
  if (facts.ref) externalParameters.ref = facts.ref;
  return {
    buildDefinition: {
      buildType: BUILD_TYPES.local,
      externalParameters,
      internalParameters: {
        host: facts.host,
        dirty: facts.dirty,
      },
      resolvedDependencies:
        facts.repositoryUrl && facts.commit
          ? [sourceDependency(facts.repositoryUrl, facts.ref, facts.commit)]
          : facts.commit
            ? [{ digest: { gitCommit: facts.commit } }]
            : [],
    },
    runDetails: {
      builder: {
        id: `local://${encodeURIComponent(facts.host)}`,
        version: { provenant: facts.cliVersion },
      },
      metadata: {
        finishedOn: facts.finishedOn.toISOString(),
        [FACTS_SOURCE_FIELD]: "local",
      },
    },
  };
}
