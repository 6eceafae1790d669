import { BUILD_TYPES, FACTS_SOURCE_FIELD, HOSTED_BUILD_TYPES, variableDisagreementsOf } from "../buildtypes.js";
import type { Provenance } from "../schemas/provenance.js";

export interface SlsaLevel {
  level: 0 | 1 | 2 | 3;
  reason: string;
}

/**
 * The SLSA Build level (v1.0 "Build" track) that key-signed evidence
 * supports. L3 needs signing material the build cannot reach (the signing
 * service, a later wave), so key-signed provenance stops at L2.
 */
export function slsaLevelOf(provenance: Provenance | undefined, signed: boolean): SlsaLevel {
  if (!signed || !provenance) {
    return { level: 0, reason: "no provenance signed by a trusted key" };
  }
  const buildType = provenance.buildDefinition.buildType;
  const factsSource = provenance.runDetails.metadata?.[FACTS_SOURCE_FIELD];
  if (buildType === BUILD_TYPES.local) {
    return {
      level: 1,
      reason:
        "local build: provenance exists, but it was made on a machine outside a hosted build platform, so it supports SLSA Build L1 only",
    };
  }
  if (!HOSTED_BUILD_TYPES.includes(buildType)) {
    return {
      level: 1,
      reason: `buildType ${buildType} is not one Provenant knows as a hosted build platform; provenance exists (L1)`,
    };
  }
  if (factsSource === "oidc-token") {
    const disagreements = variableDisagreementsOf(provenance.runDetails.metadata);
    // Worth saying: the job's variables were tampered with or stale, and the token won.
    const overruled =
      disagreements.length > 0
        ? `; ${disagreements.length} CI variable(s) contradicted the token (${disagreements.map((d) => d.variable).join(", ")}) and the token's values were recorded`
        : "";
    return {
      level: 2,
      reason: `hosted build platform, source and builder taken from a verified OIDC token, signed provenance (L2); L3 needs a signer the build cannot reach${overruled}`,
    };
  }
  if (factsSource === "external-oidc-token") {
    return {
      level: 1,
      reason:
        "hosted build platform, facts from a verified OIDC token, but of an issuer the build named itself rather than the platform's own; a build that picks the issuer can mint the token, so L1",
    };
  }
  if (factsSource === undefined) {
    // Written by another tool: only our adapters record where their facts came from.
    return {
      level: 1,
      reason: `hosted build platform, but the provenance does not record that its facts came from a verified OIDC token (no ${FACTS_SOURCE_FIELD}), so L1`,
    };
  }
  return {
    level: 1,
    reason:
      "hosted build platform, but its facts came from environment variables a build step could change (no verified OIDC token), so L1",
  };
}
