import { createHash } from "node:crypto";

/**
 * Versioned schema migrations, one list per backend dialect. A migration is
 * never edited once released: a change is a new version appended here. Both
 * backends record applied versions in `schema_migrations` and run the missing
 * ones at open, inside a transaction (PostgreSQL: under an advisory lock, so
 * replicas starting together migrate once).
 */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

/** RFC 6962 root of the empty tree: SHA-256 of the empty string. */
export const EMPTY_ROOT_HEX = createHash("sha256").update(new Uint8Array(0)).digest("hex");

export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "log entries, digest index, tiles, tree state, keys, tokens, audit",
    sql: `
CREATE TABLE tree_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  size INTEGER NOT NULL,
  root_hash BLOB NOT NULL,
  checkpoint TEXT NOT NULL
);
INSERT INTO tree_state (id, size, root_hash, checkpoint) VALUES (1, 0, x'${EMPTY_ROOT_HEX}', '');
CREATE TABLE entries (
  log_index INTEGER PRIMARY KEY,
  leaf_hash TEXT NOT NULL UNIQUE,
  envelope_hash TEXT NOT NULL UNIQUE,
  body BLOB NOT NULL,
  bundle TEXT NOT NULL,
  predicate_type TEXT NOT NULL,
  signer_key_id TEXT NOT NULL,
  project TEXT NOT NULL,
  source_repository TEXT,
  source_ref TEXT,
  source_commit TEXT,
  builder_id TEXT,
  slsa_level INTEGER NOT NULL,
  uploaded_by TEXT NOT NULL,
  integrated_time INTEGER NOT NULL
);
CREATE INDEX entries_source_repository ON entries (source_repository);
CREATE TABLE subjects (
  digest TEXT NOT NULL,
  log_index INTEGER NOT NULL REFERENCES entries (log_index),
  name TEXT NOT NULL,
  PRIMARY KEY (digest, log_index, name)
) WITHOUT ROWID;
CREATE INDEX subjects_log_index ON subjects (log_index);
CREATE INDEX subjects_name ON subjects (name);
CREATE TABLE tiles (
  level INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  width INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (level, idx)
) WITHOUT ROWID;
CREATE TABLE signing_keys (
  key_id TEXT NOT NULL,
  project TEXT NOT NULL,
  public_key_pem TEXT NOT NULL,
  name TEXT,
  service INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (key_id, project)
);
CREATE INDEX signing_keys_project ON signing_keys (project);
CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,
  secret_hash TEXT NOT NULL UNIQUE,
  project TEXT NOT NULL,
  scope TEXT NOT NULL,
  name TEXT,
  created_at TEXT NOT NULL
);
CREATE TABLE audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  from_addr TEXT
);
`,
  },
  {
    version: 2,
    description: "signing service replay store: token ids until they expire",
    sql: `
CREATE TABLE token_replay (
  key TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
);
CREATE INDEX token_replay_expires_at ON token_replay (expires_at);
`,
  },
];

export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "log entries, digest index, tiles, tree state, keys, tokens, audit",
    sql: `
CREATE TABLE tree_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  size BIGINT NOT NULL,
  root_hash BYTEA NOT NULL,
  checkpoint TEXT NOT NULL
);
INSERT INTO tree_state (id, size, root_hash, checkpoint) VALUES (1, 0, '\\x${EMPTY_ROOT_HEX}', '');
CREATE TABLE entries (
  log_index BIGINT PRIMARY KEY,
  leaf_hash TEXT NOT NULL UNIQUE,
  envelope_hash TEXT NOT NULL UNIQUE,
  body BYTEA NOT NULL,
  bundle TEXT NOT NULL,
  predicate_type TEXT NOT NULL,
  signer_key_id TEXT NOT NULL,
  project TEXT NOT NULL,
  source_repository TEXT,
  source_ref TEXT,
  source_commit TEXT,
  builder_id TEXT,
  slsa_level INTEGER NOT NULL,
  uploaded_by TEXT NOT NULL,
  integrated_time BIGINT NOT NULL
);
CREATE INDEX entries_source_repository ON entries (source_repository);
CREATE TABLE subjects (
  digest TEXT COLLATE "C" NOT NULL,
  log_index BIGINT NOT NULL REFERENCES entries (log_index),
  name TEXT NOT NULL,
  PRIMARY KEY (digest, log_index, name)
);
CREATE INDEX subjects_log_index ON subjects (log_index);
CREATE INDEX subjects_name ON subjects (name);
CREATE TABLE tiles (
  level INTEGER NOT NULL,
  idx BIGINT NOT NULL,
  width INTEGER NOT NULL,
  data BYTEA NOT NULL,
  PRIMARY KEY (level, idx)
);
CREATE TABLE signing_keys (
  key_id TEXT NOT NULL,
  project TEXT NOT NULL,
  public_key_pem TEXT NOT NULL,
  name TEXT,
  service BOOLEAN NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (key_id, project)
);
CREATE INDEX signing_keys_project ON signing_keys (project);
CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,
  secret_hash TEXT NOT NULL UNIQUE,
  project TEXT NOT NULL,
  scope TEXT NOT NULL,
  name TEXT,
  created_at TEXT NOT NULL
);
CREATE TABLE audit (
  id BIGSERIAL PRIMARY KEY,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  from_addr TEXT
);
`,
  },
  {
    version: 2,
    description: "signing service replay store: token ids until they expire",
    sql: `
CREATE TABLE token_replay (
  key TEXT COLLATE "C" PRIMARY KEY,
  expires_at BIGINT NOT NULL
);
CREATE INDEX token_replay_expires_at ON token_replay (expires_at);
`,
  },
];
