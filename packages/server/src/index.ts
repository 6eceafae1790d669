export type {
  ArtifactSummary,
  CallerIdentity,
  InclusionProofResult,
  Page,
  TokenSummary,
  StoredAttestation,
  UploadResult,
  Vault,
} from "./vault/types.js";
export { createApp, DEFAULT_LIMITS } from "./http/app.js";
export type { AppDeps, AppLimits, ServerApp } from "./http/context.js";
export type { OidcConfig, OidcIssuerConfig } from "./http/auth.js";
export { jsonLogger, serve, startVaultServer, type RunningServer, type VaultOpener, type VaultServer } from "./serve.js";
export {
  DEFAULT_DATA_DIR,
  DEFAULT_LISTEN,
  ensureServerKeys,
  parseListen,
  redactDatabaseUrl,
  resolveServerConfig,
  type ServerConfig,
  type ServerKeys,
  type ServerOptions,
} from "./config.js";
export { openVault, type VaultOptions } from "./vault/open-vault.js";
export {
  DEFAULT_BATCH_WINDOW_MS,
  SQLITE_FILE,
  logOriginFor,
  openConfiguredStore,
  openConfiguredVault,
  type ConfiguredVaultInput,
} from "./vault/open-configured-vault.js";
export type {
  ArtifactRecord,
  AuditRecord,
  EntryRecord,
  IntegrationContext,
  IntegrationWrite,
  KeyRecord,
  Store,
  SubjectRecord,
  TileRecord,
  TokenRecord,
  TreeState,
} from "./store/store.js";
export { openSqliteStore, type SqliteStoreOptions } from "./store/sqlite/sqlite-store.js";
export { openPostgresStore, type PostgresStoreOptions } from "./store/postgres/postgres-store.js";
export {
  cachingFetch,
  DEFAULT_LIMITS as DEFAULT_SIGNING_LIMITS,
  fileSigner,
  databaseReplayStore,
  memoryReplayStore,
  parseSigningConfig,
  provenanceFromClaims,
  registryImageSubjects,
  urlFileSubjects,
  SERVICE_HASHED_SUBJECTS_FIELD,
  signingDepsWithDefaults,
  signProvenance,
  verifyJobToken,
  windowRateLimiter,
  type ProvenanceRequest,
  type RateLimiter,
  type ImageSubjectFetcher,
  type ReplayStore,
  type ServerHashedSubject,
  type TokenIdTable,
  type SignedProvenance,
  type SigningConfig,
  type SigningDeps,
  type TrustedIssuer,
} from "./signing/index.js";
export { loadServerPolicies, POLICIES_DIR, type ServerPolicy } from "./verify/policies.js";
export {
  DEFAULT_VERIFICATION_LIMITS,
  parseVerifyRequest,
  verifyArtifacts,
  type ArtifactVerdict,
  type VerificationDeps,
  type VerificationLimits,
  type VerifyAnswer,
  type VerifyRequest,
} from "./verify/verify-artifacts.js";
