export { DEFAULT_LIMITS, matchesPattern, parseSigningConfig, SIGNING_PLATFORMS, type SigningConfig, type SigningPlatform, type TrustedIssuer } from "./config.js";
export { cachingFetch, verifyJobToken, type VerifiedJobToken } from "./job-token.js";
export { provenanceFromClaims, type ServiceIdentity, type ServiceProvenance } from "./provenance-from-claims.js";
export { type RateLimiter, windowRateLimiter } from "./rate-limit.js";
export { databaseReplayStore, memoryReplayStore, type ReplayStore, type TokenIdTable } from "./replay.js";
export { fileSigner } from "./signer.js";
export { type ProvenanceRequest, type SignedProvenance, type SigningDeps, signingDepsWithDefaults, signProvenance } from "./sign-provenance.js";
export {
  type FileSource,
  type FileSubjectFetcher,
  type ImageSubjectFetcher,
  registryImageSubjects,
  SERVICE_HASHED_SUBJECTS_FIELD,
  type ServerHashedFile,
  type ServerHashedSubject,
  urlFileSubjects,
} from "./server-hashed-subjects.js";
