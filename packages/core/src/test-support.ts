import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { BUILD_TYPES, FACTS_SOURCE_FIELD } from "./buildtypes.js";
import type { ProvenanceFields } from "./platform.js";

/** Shared by this package's tests only (not exported from index.ts). */
export function ecKeys(curve: "P-256" | "P-384" = "P-256"): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync("ec", { namedCurve: curve });
}

export const SHA_A = "a".repeat(64);
export const SHA_B = "b".repeat(64);
export const COMMIT = "0123456789abcdef0123456789abcdef01234567";

/** Provenance shaped like a GitLab CI job's: a hosted platform, token-verified facts. */
export function sampleProvenance(overrides: { ref?: string; factsSource?: string; buildType?: string } = {}): ProvenanceFields {
  return {
    buildDefinition: {
      buildType: overrides.buildType ?? BUILD_TYPES.gitlab,
      externalParameters: { project: "acme/app", ref: overrides.ref ?? "refs/heads/main" },
      internalParameters: { pipeline_id: "42" },
      resolvedDependencies: [
        {
          uri: `git+https://gitlab.example.com/acme/app@${overrides.ref ?? "refs/heads/main"}`,
          digest: { gitCommit: COMMIT },
        },
      ],
    },
    runDetails: {
      builder: { id: "https://gitlab.example.com/runners/shared" },
      metadata: {
        invocationId: "https://gitlab.example.com/acme/app/-/jobs/7",
        startedOn: "2026-11-01T10:00:00Z",
        [FACTS_SOURCE_FIELD]: overrides.factsSource ?? "oidc-token",
      },
    },
  };
}
