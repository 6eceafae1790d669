import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import { ProvenantError } from "@provenant/core";
import { SQLITE_MIGRATIONS } from "../migrations.js";
import { type WalDurability, walDurability } from "./wal-durability.js";
import {
  ENTRY_COLUMNS,
  type EntryRow,
  artifactsFromRows,
  auditFromRow,
  entriesWithSubjects,
  keyFromRow,
  tokenFromRow,
} from "../rows.js";
import type {
  ArtifactRecord,
  AuditRecord,
  EntryRecord,
  IntegrationContext,
  IntegrationWrite,
  KeyRecord,
  Store,
  TokenRecord,
  TreeState,
} from "../store.js";

export interface SqliteStoreOptions {
  /** The database file (created with its directory); one file under the data directory. */
  path: string;
  /** How long a writer waits for another process's write lock (ms); default 10 s. */
  busyTimeoutMs?: number;
}

/**
 * The embedded store: node:sqlite (no native build), WAL mode so readers do
 * not block the integrator. A write is on disk before it is acknowledged:
 * the WAL is fsynced after each commit, from the thread pool rather than
 * inside COMMIT, and checkpoints run in a worker thread (see
 * wal-durability.ts), so neither stalls the event loop. The vault batches
 * uploads so many share one commit and one sync.
 */
/** The SQLite store, with a checkpoint on demand (the worker runs them on its own as commits accumulate). */
export interface SqliteStore extends Store {
  /** Moves every WAL frame it can into the database file now; `log` frames in the WAL, `checkpointed` of them moved. */
  checkpointNow(): Promise<{ log: number; checkpointed: number }>;
}

export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  if (options.path !== ":memory:") mkdirSync(dirname(options.path), { recursive: true });
  const busyTimeoutMs = options.busyTimeoutMs ?? 10_000;
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(options.path);
    db.exec(`PRAGMA busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
    db.exec("PRAGMA journal_mode = WAL");
    // NORMAL: COMMIT writes the WAL without syncing it; `wal.sync()` does, off the event loop, before any acknowledgement.
    db.exec(`PRAGMA synchronous = ${options.path === ":memory:" ? "OFF" : "NORMAL"}`);
    db.exec("PRAGMA foreign_keys = ON");
  } catch (cause) {
    throw new ProvenantError("IO_ERROR", `cannot open the SQLite database ${options.path}: ${(cause as Error).message}`, {
      cause,
    });
  }
  const schemaVersion = migrate(db);
  // From here on SQLite never waits for a lock on its own: node:sqlite is
  // synchronous, so its busy wait would block the event loop — and deadlock
  // when the lock holder is another connection in this same process that is
  // awaiting between its reads. `begin()` retries asynchronously instead.
  db.exec("PRAGMA busy_timeout = 0");
  const wal: Pick<WalDurability, "sync" | "committed" | "close"> & Partial<Pick<WalDurability, "checkpoint">> =
    options.path === ":memory:"
      ? { sync: async () => {}, committed: () => {}, close: async () => {} }
      : walDurability(options.path, () => {
          // Without the worker, SQLite checkpoints inside COMMIT again: slower, never unbounded.
          db.exec("PRAGMA wal_autocheckpoint = 1000");
        });
  if (options.path !== ":memory:") db.exec("PRAGMA wal_autocheckpoint = 0");
  /** A write's promise that resolves only once the write is on disk. */
  const durably = async <T>(write: Promise<T>): Promise<T> => {
    const result = await write;
    await wal.sync();
    return result;
  };
  const begin = async () => {
    const deadline = Date.now() + busyTimeoutMs;
    for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
      try {
        db.exec("BEGIN IMMEDIATE");
        return;
      } catch (error) {
        if (!isBusy(error) || Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  };

  // node:sqlite is synchronous and one connection has one transaction: every
  // write runs through this chain so an integration's open transaction never
  // swallows a key or token write made meanwhile.
  let writes: Promise<unknown> = Promise.resolve();
  const serialized = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = writes.then(fn, fn);
    writes = next.catch(() => undefined);
    return next;
  };

  const statements = new Map<string, ReturnType<DatabaseSync["prepare"]>>();
  const stmt = (sql: string) => {
    let s = statements.get(sql);
    if (!s) {
      s = db.prepare(sql);
      statements.set(sql, s);
    }
    return s;
  };
  const all = <T>(sql: string, ...params: SQLInputValue[]) => stmt(sql).all(...params) as unknown as T[];
  const get = <T>(sql: string, ...params: SQLInputValue[]) => stmt(sql).get(...params) as unknown as T | undefined;

  const treeState = (): TreeState => {
    const row = get<{ size: number; root_hash: Uint8Array; checkpoint: string }>(
      "SELECT size, root_hash, checkpoint FROM tree_state WHERE id = 1",
    )!;
    return { size: Number(row.size), rootHash: new Uint8Array(row.root_hash), checkpoint: row.checkpoint };
  };
  const readTile = (level: number, index: number, width: number): Uint8Array | undefined => {
    const row = get<{ width: number; data: Uint8Array }>("SELECT width, data FROM tiles WHERE level = ? AND idx = ?", level, index);
    // Tiles only grow to the right: a wider stored tile holds the narrower one as its prefix.
    if (!row || row.width < width) return undefined;
    return new Uint8Array(row.data.subarray(0, width * 32));
  };
  const withSubjects = (rows: EntryRow[]): EntryRecord[] => {
    if (rows.length === 0) return [];
    const indexes = rows.map((r) => Number(r.log_index));
    const subjects = all<{ log_index: number; digest: string; name: string }>(
      `SELECT log_index, digest, name FROM subjects WHERE log_index IN (${indexes.map(() => "?").join(",")}) ORDER BY log_index, name, digest`,
      ...indexes,
    );
    return entriesWithSubjects(rows, subjects);
  };
  const oneEntry = (where: string, value: SQLInputValue) => {
    const row = get<EntryRow>(`SELECT ${ENTRY_COLUMNS} FROM entries WHERE ${where} = ?`, value);
    return row ? withSubjects([row])[0] : undefined;
  };
  const entriesByEnvelopeHash = (hashes: readonly string[]) =>
    hashes.length === 0
      ? []
      : withSubjects(
          all<EntryRow>(
            `SELECT ${ENTRY_COLUMNS} FROM entries WHERE envelope_hash IN (${hashes.map(() => "?").join(",")})`,
            ...hashes,
          ),
        );
  const writeAudit = (a: AuditRecord) =>
    stmt("INSERT INTO audit (at, actor, action, target, from_addr) VALUES (?, ?, ?, ?, ?)").run(
      a.at,
      a.actor,
      a.action,
      a.target,
      a.from ?? null,
    );
  const inTransaction = async <T>(fn: () => T): Promise<T> => {
    await begin();
    try {
      const result = fn();
      db.exec("COMMIT");
      wal.committed();
      return result;
    } catch (error) {
      db.exec("ROLLBACK");
      throw error;
    }
  };
  const writeIntegration = (write: IntegrationWrite) => {
    const insertEntry = stmt(
      `INSERT INTO entries (${ENTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertSubject = stmt("INSERT OR IGNORE INTO subjects (digest, log_index, name) VALUES (?, ?, ?)");
    for (const e of write.entries) {
      insertEntry.run(
        e.logIndex,
        e.leafHash,
        e.envelopeHash,
        e.body,
        e.bundleJson,
        e.predicateType,
        e.signerKeyId,
        e.project,
        e.sourceRepository ?? null,
        e.sourceRef ?? null,
        e.sourceCommit ?? null,
        e.builderId ?? null,
        e.slsaLevel,
        e.uploadedBy,
        e.integratedTime,
      );
      for (const s of e.subjects) insertSubject.run(s.digest, e.logIndex, s.name);
    }
    const upsertTile = stmt(
      "INSERT INTO tiles (level, idx, width, data) VALUES (?, ?, ?, ?) ON CONFLICT (level, idx) DO UPDATE SET width = excluded.width, data = excluded.data WHERE excluded.width >= tiles.width",
    );
    for (const t of write.tiles) upsertTile.run(t.level, t.index, t.width, t.data);
    stmt("UPDATE tree_state SET size = ?, root_hash = ?, checkpoint = ? WHERE id = 1").run(
      write.tree.size,
      write.tree.rootHash,
      write.tree.checkpoint,
    );
    for (const a of write.audit) writeAudit(a);
  };

  return {
    checkpointNow: async () => (wal.checkpoint ? wal.checkpoint() : { log: 0, checkpointed: 0 }),
    backend: "sqlite",
    schemaVersion,
    treeState: async () => treeState(),
    readTile: async (level, index, width) => readTile(level, index, width),
    readEntryBodies: async (from, count) =>
      all<{ body: Uint8Array }>(
        "SELECT body FROM entries WHERE log_index >= ? AND log_index < ? ORDER BY log_index",
        from,
        from + count,
      ).map((r) => new Uint8Array(r.body)),
    entryByIndex: async (i) => oneEntry("log_index", i),
    entryByLeafHash: async (h) => oneEntry("leaf_hash", h),
    entryByEnvelopeHash: async (h) => oneEntry("envelope_hash", h),
    entriesByDigest: async (q) => {
      // IN (subquery) rather than JOIN + DISTINCT: no duplicate rows to fold
      // (an entry may name a digest under several names), and no sort over the bundle column.
      const where = ["e.log_index IN (SELECT s.log_index FROM subjects s WHERE s.digest = ?)", "e.log_index > ?"];
      const params: SQLInputValue[] = [q.digest, q.afterIndex ?? -1];
      if (q.predicateType !== undefined) {
        where.push("e.predicate_type = ?");
        params.push(q.predicateType);
      }
      if (q.repository !== undefined) {
        where.push("e.source_repository = ?");
        params.push(q.repository);
      }
      if (q.projects !== undefined) {
        where.push(`e.project IN (${placeholders(q.projects)})`);
        params.push(...q.projects);
      }
      const rows = all<EntryRow>(
        `SELECT ${ENTRY_COLUMNS} FROM entries e WHERE ${where.join(" AND ")} ORDER BY e.log_index LIMIT ?`,
        ...params,
        q.limit,
      );
      return withSubjects(rows);
    },
    artifacts: async (q): Promise<ArtifactRecord[]> => {
      const where = ["s.digest > ?"];
      const params: SQLInputValue[] = [q.afterDigest ?? ""];
      if (q.repository !== undefined) {
        where.push("e.source_repository = ?");
        params.push(q.repository);
      }
      if (q.name !== undefined) {
        where.push("s.digest IN (SELECT digest FROM subjects WHERE name = ?)");
        params.push(q.name);
      }
      if (q.projects !== undefined) {
        where.push(`e.project IN (${placeholders(q.projects)})`);
        params.push(...q.projects);
      }
      const filter = where.join(" AND ");
      const aggregates = all<{ digest: string; first_seen: number; last_seen: number; highest: number }>(
        `SELECT s.digest, MIN(e.integrated_time) AS first_seen, MAX(e.integrated_time) AS last_seen, MAX(e.slsa_level) AS highest FROM subjects s JOIN entries e ON e.log_index = s.log_index WHERE ${filter} GROUP BY s.digest ORDER BY s.digest LIMIT ?`,
        ...params,
        q.limit,
      );
      if (aggregates.length === 0) return [];
      const digests = aggregates.map((a) => a.digest);
      const inList = `s.digest IN (${digests.map(() => "?").join(",")})`;
      // The names and counts come from the same rows the aggregate saw: the caller's repository and projects.
      const repo =
        (q.repository !== undefined ? " AND e.source_repository = ?" : "") +
        (q.projects !== undefined ? ` AND e.project IN (${placeholders(q.projects)})` : "");
      const repoParams = [...(q.repository !== undefined ? [q.repository] : []), ...(q.projects ?? [])];
      const names = all<{ digest: string; name: string }>(
        `SELECT DISTINCT s.digest, s.name FROM subjects s JOIN entries e ON e.log_index = s.log_index WHERE ${inList}${repo}`,
        ...digests,
        ...repoParams,
      );
      const types = all<{ digest: string; predicate_type: string; n: number }>(
        `SELECT s.digest, e.predicate_type, COUNT(DISTINCT e.log_index) AS n FROM subjects s JOIN entries e ON e.log_index = s.log_index WHERE ${inList}${repo} GROUP BY s.digest, e.predicate_type`,
        ...digests,
        ...repoParams,
      );
      return artifactsFromRows(aggregates, names, types);
    },
    integrate: (work) =>
      durably(serialized(async () => {
        // BEGIN IMMEDIATE takes SQLite's write lock now, so no other process
        // integrates between our read of the tree state and our commit.
        await begin();
        try {
          const context: IntegrationContext = {
            tree: treeState(),
            readTile: async (level, index, width) => readTile(level, index, width),
            entriesByEnvelopeHash: async (hashes) => entriesByEnvelopeHash(hashes),
          };
          const outcome = await work(context);
          if (outcome) writeIntegration(outcome.write);
          db.exec("COMMIT");
          wal.committed();
          return outcome?.result;
        } catch (error) {
          if (db.isTransaction) db.exec("ROLLBACK");
          throw error;
        }
      })),
    putKey: (key: KeyRecord, audit: AuditRecord) =>
      durably(
        serialized(async () =>
        inTransaction(() => {
          stmt(
            "INSERT INTO signing_keys (key_id, project, public_key_pem, name, service, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key_id, project) DO UPDATE SET name = excluded.name, service = excluded.service",
          ).run(key.keyId, key.project, key.publicKeyPem, key.name ?? null, key.service ? 1 : 0, key.createdAt);
          writeAudit(audit);
        }),
      )),
    keysForProjects: async (projects) => {
      const rows =
        projects === "*"
          ? all<Record<string, string | number | null>>("SELECT * FROM signing_keys ORDER BY created_at, key_id")
          : projects.length === 0
            ? []
            : all<Record<string, string | number | null>>(
                `SELECT * FROM signing_keys WHERE project IN (${projects.map(() => "?").join(",")}) ORDER BY created_at, key_id`,
                ...projects,
              );
      return rows.map(keyFromRow);
    },
    putToken: (token: TokenRecord, audit: AuditRecord) =>
      durably(
        serialized(async () =>
        inTransaction(() => {
          stmt("INSERT INTO api_tokens (id, secret_hash, project, scope, name, created_at) VALUES (?, ?, ?, ?, ?, ?)").run(
            token.id,
            token.secretHash,
            token.project,
            token.scope,
            token.name ?? null,
            token.createdAt,
          );
          writeAudit(audit);
        }),
      )),
    tokenBySecretHash: async (hash) => {
      const row = get<Record<string, string | null>>("SELECT * FROM api_tokens WHERE secret_hash = ?", hash);
      return row ? tokenFromRow(row) : undefined;
    },
    listTokens: async () => all<Record<string, string | null>>("SELECT * FROM api_tokens ORDER BY created_at, id").map(tokenFromRow),
    deleteToken: (id: string, audit: AuditRecord) =>
      durably(
        serialized(async () =>
        inTransaction(() => {
          const removed = Number(stmt("DELETE FROM api_tokens WHERE id = ?").run(id).changes) > 0;
          if (removed) writeAudit(audit);
          return removed;
        }),
      )),
    auditLog: async (q) =>
      all<Record<string, string | number | null>>(
        "SELECT * FROM audit WHERE id > ? ORDER BY id LIMIT ?",
        q.afterId ?? 0,
        q.limit,
      ).map(auditFromRow),
    appendAudit: (audit) =>
      durably(
        serialized(async () =>
        inTransaction(() => {
          for (const a of audit) writeAudit(a);
        }),
      )),
    // Through the write chain and BEGIN IMMEDIATE like every write: outside
    // them the insert could land inside an integration's open transaction on
    // this connection, or fail at once on another process's write lock.
    //
    // Not synced on its own: the WAL is written in order, so the sync that
    // acknowledges the provenance this token is for covers this row too.
    // Power lost before that sync loses only a row whose request was never
    // answered.
    rememberTokenId: (key, expiresAt, now) =>
      serialized(async () =>
        inTransaction(
          () =>
            Number(
              stmt(
                "INSERT INTO token_replay (key, expires_at) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE token_replay.expires_at < ?",
              ).run(key, Math.ceil(expiresAt), Math.floor(now)).changes,
            ) > 0,
        ),
      ),
    pruneTokenIds: (now) =>
      serialized(async () =>
        inTransaction(() => Number(stmt("DELETE FROM token_replay WHERE expires_at < ?").run(Math.floor(now)).changes)),
      ),
    close: () =>
      serialized(async () => {
        await wal.close();
        db.close();
      }),
  };
}

function migrate(db: DatabaseSync): number {
  db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)");
  db.exec("BEGIN IMMEDIATE");
  try {
    const row = db.prepare("SELECT MAX(version) AS v FROM schema_migrations").get() as { v: number | null };
    let version = row.v ?? 0;
    const latest = SQLITE_MIGRATIONS.at(-1)?.version ?? 0;
    if (version > latest) {
      throw new ProvenantError(
        "USAGE",
        `the SQLite database has schema version ${version}, newer than this server knows (${latest}); run a newer provenant server`,
      );
    }
    for (const m of SQLITE_MIGRATIONS) {
      if (m.version <= version) continue;
      db.exec(m.sql);
      db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)").run(m.version, new Date().toISOString());
      version = m.version;
    }
    db.exec("COMMIT");
    return version;
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
}

function isBusy(error: unknown): boolean {
  const e = error as { errcode?: number; message?: string };
  // SQLITE_BUSY is 5; extended codes keep it in the low byte.
  return (typeof e?.errcode === "number" && (e.errcode & 0xff) === 5) || /database is locked/.test(e?.message ?? "");
}

/** `?, ?, …` for an IN list of these values (SQLite accepts an empty list and matches nothing). */
function placeholders(values: readonly unknown[]): string {
  return values.map(() => "?").join(", ");
}
