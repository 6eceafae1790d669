import { createHash } from "node:crypto";
import type { DigestSet } from "@provenant/core";
import type { PolicyDecision } from "../evaluate/evaluate.js";
import type { LoadedPolicy } from "../load/load.js";

export const VSA_PREDICATE_TYPE = "https://slsa.dev/verification_summary/v1";

export interface VsaInput {
  decision: PolicyDecision;
  policy: LoadedPolicy;
  /** Where the policy lives, as recorded (a path or URL). */
  policyUri: string;
  artifact: { name: string; digest: DigestSet };
  /** The resource the artifact was verified as: a package URL, an image reference, a path. */
  resourceUri: string;
  verifierId: string;
  timeVerified: Date;
}

/**
 * An in-toto Statement carrying a SLSA Verification Summary Attestation v1
 * (slsa.dev/spec/v1.0/verification_summary): a later gate (admission) can
 * trust a verification made in CI, under its own policy's trust rules.
 */
export function vsaStatement(input: VsaInput) {
  const { decision } = input;
  const level = decision.report?.slsaLevel.level ?? 0;
  const verifiedLevels = decision.allowed
    ? [`SLSA_BUILD_LEVEL_${level}`]
    : ["SLSA_BUILD_LEVEL_0"];
  return {
    _type: "https://in-toto.io/Statement/v1",
    subject: [{ name: input.artifact.name, digest: input.artifact.digest }],
    predicateType: VSA_PREDICATE_TYPE,
    predicate: {
      verifier: { id: input.verifierId },
      timeVerified: input.timeVerified.toISOString(),
      resourceUri: input.resourceUri,
      policy: { uri: input.policyUri, digest: input.policy.digest },
      inputAttestations: decision.inputAttestations.map((document) => ({
        digest: { sha256: createHash("sha256").update(JSON.stringify(document)).digest("hex") },
      })),
      verificationResult: decision.allowed ? "PASSED" : "FAILED",
      verifiedLevels,
      ...(decision.report?.provenance ? { slsaVersion: "1.0" } : {}),
    },
  };
}
