export type {
  ArtifactSummary,
  CallerIdentity,
  InclusionProofResult,
  Page,
  StoredAttestation,
  UploadResult,
  Vault,
} from "./vault/types.js";
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
