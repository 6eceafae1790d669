export type {
  ArtifactSummary,
  CallerIdentity,
  InclusionProofResult,
  Page,
  StoredAttestation,
  UploadResult,
  Vault,
} from "./vault/types.js";
