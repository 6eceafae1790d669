import type { Bundle, Envelope, Provenance, Statement } from "@provenant/core";

/**
 * The vault's domain interface: what the HTTP API (src/http), the CLI's
 * `provenant server` and the signing service call. Implemented by
 * `openVault()` over one `Store` (src/store: sqlite/ and postgres/).
 * Every method returns data; HTTP status mapping happens in the routes.
 */

/** Who is calling: an API token or a verified CI OIDC token mapped to a project. */
export interface CallerIdentity {
  kind: "token" | "oidc";
  /** Token id, or `<issuer>#<subject>` for an OIDC token. Never the secret. */
  subject: string;
  /** Projects this caller may act for (repository paths, e.g. `acme/app`). `*` = any (admin tokens). */
  projects: readonly string[];
  scope: "read" | "upload" | "admin";
  /** Where the request came from (remote address), for the audit table. */
  from?: string;
}

/** One stored attestation with the facts the vault indexed at upload. */
export interface StoredAttestation {
  logIndex: number;
  /** lowercase hex SHA-256 of the RFC 6962 leaf (the canonicalized tlog body). */
  leafHash: string;
  /** The bundle as returned to the uploader: the received signature plus `verificationMaterial.tlogEntries`. */
  bundle: Bundle;
  subjects: { name: string; digest: Record<string, string> }[];
  predicateType: string;
  signerKeyId: string;
  project: string;
  source?: { repository: string; ref?: string; commit?: string };
  builderId?: string;
  /** SLSA Build level as verified at upload (0-3). */
  slsaLevel: number;
  uploadedBy: string;
  /** RFC 3339. */
  integratedTime: string;
}

export interface ArtifactSummary {
  digest: string; // "sha256:<hex>"
  names: string[];
  firstSeen: string;
  lastSeen: string;
  attestationsByType: Record<string, number>;
  highestSlsaLevel: number;
}

/** What listing says about a token: never its secret, never its hash. */
export interface TokenSummary {
  id: string;
  project: string;
  scope: CallerIdentity["scope"];
  name?: string;
  createdAt: string;
}

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export interface InclusionProofResult {
  logIndex: number;
  treeSize: number;
  rootHash: string; // hex
  hashes: string[]; // hex, leaf to root
  checkpoint: string; // signed note of that tree size
}

export interface UploadResult {
  attestation: StoredAttestation;
  /** false when the same envelope was uploaded before (idempotent upload). */
  created: boolean;
}

export interface Vault {
  /** Verifies the signature against keys registered for the caller's projects, stores, appends, and resolves only after commit. */
  upload(document: unknown, caller: CallerIdentity): Promise<UploadResult>;
  /**
   * Provenance the signing service built and signed with the vault's own
   * signing key in this process: stored and logged like an upload, without
   * verifying that signature again. An envelope signed by any other key goes
   * through `upload` (verified).
   */
  uploadServiceSigned(signed: { envelope: Envelope; statement: Statement; provenance: Provenance }, caller: CallerIdentity): Promise<UploadResult>;
  /**
   * Several documents of one upload (an `.intoto.jsonl` body) all or none:
   * every one is validated before any is queued, so one refused line stores nothing.
   */
  uploadAll(documents: readonly unknown[], caller: CallerIdentity): Promise<UploadResult[]>;
  /**
   * The reads take `projects`: only attestations stored for one of them are
   * seen (an entry of another project reads as absent). Absent = every project,
   * for a caller allowed to read them all (`*` tokens, public read).
   */
  getByIndex(logIndex: number, projects?: readonly string[]): Promise<StoredAttestation | undefined>;
  findByDigest(query: {
    digest: string;
    predicateType?: string;
    repository?: string;
    projects?: readonly string[];
    cursor?: string;
    limit?: number;
  }): Promise<Page<StoredAttestation>>;
  listArtifacts(query: { repository?: string; name?: string; projects?: readonly string[]; cursor?: string; limit?: number }): Promise<Page<ArtifactSummary>>;

  /** The latest signed checkpoint (C2SP tlog-checkpoint note text). */
  checkpoint(): Promise<string>;
  inclusionProof(query: { logIndex: number } | { leafHash: string }, treeSize?: number): Promise<InclusionProofResult>;
  consistencyProof(fromSize: number, toSize: number): Promise<string[]>;
  /** C2SP tlog-tiles: hash tile bytes, or undefined when no such tile exists. */
  readTile(level: number, index: number, width?: number): Promise<Uint8Array | undefined>;
  readEntryBundle(index: number, width?: number): Promise<Uint8Array | undefined>;

  registerKey(input: { project: string; publicKeyPem: string; name?: string; service?: boolean }, caller: CallerIdentity): Promise<{ keyId: string }>;
  createToken(input: { project: string; scope: CallerIdentity["scope"]; name?: string }, caller: CallerIdentity | "cli"): Promise<{ id: string; token: string }>;
  authenticateToken(secret: string): Promise<CallerIdentity | undefined>;
  /** Every API token without its secret or hash (admin only). */
  listTokens(caller: CallerIdentity | "cli"): Promise<TokenSummary[]>;
  /** Revokes a token at once (admin only); NOT_FOUND when there is none with that id. */
  revokeToken(id: string, caller: CallerIdentity | "cli"): Promise<void>;

  /** Adds audit rows for something that wrote nothing else (a policy verification): who (the caller), what, when, from where. */
  recordAudit(entries: readonly { action: string; target: string }[], caller: CallerIdentity): Promise<void>;
  /**
   * The signing service's replay store in the vault's database, shared by
   * every replica: false when `key` is recorded and not expired at `now`
   * (Unix seconds); otherwise records it until `expiresAt` and returns true.
   */
  rememberTokenId(key: string, expiresAt: number, now: number): Promise<boolean>;
  /** Forgets token ids that expired before `now` (Unix seconds). */
  pruneTokenIds(now: number): Promise<number>;

  /** The log's public key (PEM) and a Sigstore TrustedRoot JSON object verifiers can use offline. */
  logPublicKeyPem(): string;
  trustedRoot(baseUrl: string): unknown;

  close(): Promise<void>;
}
