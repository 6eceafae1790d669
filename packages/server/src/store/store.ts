/**
 * The vault's storage interface. Two backends implement it — `sqlite/`
 * (node:sqlite, embedded default) and `postgres/` (`pg`, shared by replicas) —
 * and one conformance suite (store.conformance.ts) runs against both.
 *
 * The store knows rows, not cryptography: the vault computes leaf hashes,
 * tiles and checkpoints with @provenant/log and hands the store everything
 * one integration writes, which the store commits in ONE transaction.
 */

/** The log's committed state: its size, root and the signed checkpoint for them. */
export interface TreeState {
  size: number;
  rootHash: Uint8Array;
  /** C2SP signed note for (size, rootHash); empty for the empty tree before the first checkpoint. */
  checkpoint: string;
}

export interface TileRecord {
  level: number;
  index: number;
  width: number;
  data: Uint8Array;
}

export interface SubjectRecord {
  name: string;
  /** "alg:hex", one per digest algorithm of the subject. */
  digest: string;
}

/** One log entry and what the vault indexed about it at upload. */
export interface EntryRecord {
  logIndex: number;
  /** lowercase hex SHA-256 RFC 6962 leaf hash of `body`. */
  leafHash: string;
  /** lowercase hex SHA-256 of the canonical envelope; the idempotency key. */
  envelopeHash: string;
  /** The log entry bytes (the canonicalized Rekor dsse body). */
  body: Uint8Array;
  /** The bundle returned to the uploader (JSON text). */
  bundleJson: string;
  subjects: SubjectRecord[];
  predicateType: string;
  signerKeyId: string;
  project: string;
  sourceRepository?: string;
  sourceRef?: string;
  sourceCommit?: string;
  builderId?: string;
  slsaLevel: number;
  uploadedBy: string;
  /** Unix seconds. */
  integratedTime: number;
}

export interface AuditRecord {
  /** Caller subject (token id, OIDC issuer#subject, or "cli"). */
  actor: string;
  action: string;
  /** What was written: a log index, key id, token id. */
  target: string;
  from?: string;
  /** RFC 3339. */
  at: string;
}

export interface KeyRecord {
  keyId: string;
  project: string;
  publicKeyPem: string;
  name?: string;
  service: boolean;
  createdAt: string;
}

export interface TokenRecord {
  id: string;
  /** lowercase hex SHA-256 of the secret; the secret itself is never stored. */
  secretHash: string;
  project: string;
  scope: "read" | "upload" | "admin";
  name?: string;
  createdAt: string;
}

export interface ArtifactRecord {
  digest: string;
  names: string[];
  firstSeen: number;
  lastSeen: number;
  attestationsByType: Record<string, number>;
  highestSlsaLevel: number;
}

/** What one integration writes; committed atomically with the new tree state. */
export interface IntegrationWrite {
  entries: EntryRecord[];
  tiles: TileRecord[];
  tree: TreeState;
  audit: AuditRecord[];
}

/**
 * Reads available inside an integration, under the integrator lock, so the
 * tree state and tiles cannot move until the write commits.
 */
export interface IntegrationContext {
  tree: TreeState;
  readTile(level: number, index: number, width: number): Promise<Uint8Array | undefined>;
  /** Entries already stored under these envelope hashes (a replica may have integrated them meanwhile). */
  entriesByEnvelopeHash(hashes: readonly string[]): Promise<EntryRecord[]>;
}

export interface Store {
  readonly backend: "sqlite" | "postgres";
  /** Schema version after migrations ran at open. */
  readonly schemaVersion: number;

  treeState(): Promise<TreeState>;
  readTile(level: number, index: number, width: number): Promise<Uint8Array | undefined>;
  /** Entry bodies for indexes [from, from + count) that exist, in order. */
  readEntryBodies(from: number, count: number): Promise<Uint8Array[]>;

  entryByIndex(logIndex: number): Promise<EntryRecord | undefined>;
  entryByLeafHash(leafHash: string): Promise<EntryRecord | undefined>;
  entryByEnvelopeHash(envelopeHash: string): Promise<EntryRecord | undefined>;
  /** Entries with a subject of this digest ("alg:hex"), ascending log index after `afterIndex`. */
  entriesByDigest(query: {
    digest: string;
    predicateType?: string;
    repository?: string;
    /** Only entries stored for one of these projects; absent = every project. */
    projects?: readonly string[];
    afterIndex?: number;
    limit: number;
  }): Promise<EntryRecord[]>;
  /** Artifacts (subject digests) ascending by digest after `afterDigest`; `projects` as in `entriesByDigest`. */
  artifacts(query: { repository?: string; name?: string; projects?: readonly string[]; afterDigest?: string; limit: number }): Promise<ArtifactRecord[]>;

  /**
   * Runs one integration: takes the integrator lock (one integrator at a time
   * across every process sharing the database), hands `work` the committed
   * tree state, writes what it returns and the tree state in ONE transaction,
   * and resolves only after commit. `work` returning undefined writes nothing.
   */
  integrate<T>(work: (context: IntegrationContext) => Promise<{ write: IntegrationWrite; result: T } | undefined>): Promise<T | undefined>;

  putKey(key: KeyRecord, audit: AuditRecord): Promise<void>;
  keysForProjects(projects: readonly string[] | "*"): Promise<KeyRecord[]>;
  putToken(token: TokenRecord, audit: AuditRecord): Promise<void>;
  tokenBySecretHash(secretHash: string): Promise<TokenRecord | undefined>;
  /** Every token, oldest first (hashes included; the vault leaves them out of what it returns). */
  listTokens(): Promise<TokenRecord[]>;
  /** Removes a token (revocation) with its audit row, in one transaction; false when there was none. */
  deleteToken(id: string, audit: AuditRecord): Promise<boolean>;
  auditLog(query: { afterId?: number; limit: number }): Promise<(AuditRecord & { id: number })[]>;
  /** Adds audit rows that go with no other write (a policy verification), in one transaction. */
  appendAudit(audit: readonly AuditRecord[]): Promise<void>;

  /**
   * The signing service's replay store, shared by every replica: records
   * `key` (a token's issuer and `jti`, hashed) until `expiresAt` (Unix
   * seconds) unless it is recorded and not yet expired at `now`. Insert-if-
   * absent in one statement, so of two replicas racing on one token exactly
   * one gets true.
   */
  rememberTokenId(key: string, expiresAt: number, now: number): Promise<boolean>;
  /** Deletes token ids that expired before `now`; returns how many. */
  pruneTokenIds(now: number): Promise<number>;

  close(): Promise<void>;
}
