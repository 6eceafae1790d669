import { ProvenantError } from "@provenant/core";
import pg from "pg";
import { POSTGRES_MIGRATIONS } from "../migrations.js";
import {
  ENTRY_COLUMNS,
  type EntryRow,
  artifactsFromRows,
  auditFromRow,
  entriesWithSubjects,
  keyFromRow,
  tokenFromRow,
} from "../rows.js";
import type { AuditRecord, EntryRecord, IntegrationContext, IntegrationWrite, Store, TreeState } from "../store.js";

export interface PostgresStoreOptions {
  /** postgres://user@host:port/db (credentials stay out of logs and errors). */
  connectionString: string;
  /** Pool size per process; default 10. */
  maxConnections?: number;
}

/**
 * Advisory-lock keys (arbitrary, fixed): one for migrations, one for the
 * integrator. Transaction-scoped locks release on commit, rollback, or when
 * a crashed replica's connection drops, so a dead integrator never wedges the log.
 */
const MIGRATION_LOCK = 0x70726f76; // "prov"
const INTEGRATOR_LOCK = 0x6c6f6721; // "log!"

type Queryable = Pick<pg.PoolClient, "query">;

/**
 * The shared store: PostgreSQL through `pg`. Several server replicas may open
 * it at once; each integration runs in one transaction under
 * `pg_advisory_xact_lock`, so exactly one replica appends at a time and the
 * others wait for the lock with their pending batch.
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const pool = new pg.Pool({ connectionString: options.connectionString, max: options.maxConnections ?? 10 });
  // An idle client losing its server connection must not crash the process.
  pool.on("error", () => undefined);
  let schemaVersion: number;
  try {
    schemaVersion = await migrate(pool);
  } catch (cause) {
    await pool.end().catch(() => undefined);
    if (cause instanceof ProvenantError) throw cause;
    throw new ProvenantError(
      "IO_ERROR",
      `cannot open the PostgreSQL database ${redact(options.connectionString)}: ${(cause as Error).message}`,
      { cause },
    );
  }

  const treeState = async (db: Queryable): Promise<TreeState> => {
    const { rows } = await db.query("SELECT size, root_hash, checkpoint FROM tree_state WHERE id = 1");
    const row = rows[0] as { size: string; root_hash: Buffer; checkpoint: string };
    return { size: Number(row.size), rootHash: new Uint8Array(row.root_hash), checkpoint: row.checkpoint };
  };
  const readTile = async (db: Queryable, level: number, index: number, width: number) => {
    const { rows } = await db.query("SELECT width, data FROM tiles WHERE level = $1 AND idx = $2", [level, index]);
    const row = rows[0] as { width: number; data: Buffer } | undefined;
    // Tiles only grow to the right: a wider stored tile holds the narrower one as its prefix.
    if (!row || row.width < width) return undefined;
    return new Uint8Array(row.data.subarray(0, width * 32));
  };
  const withSubjects = async (db: Queryable, rows: EntryRow[]): Promise<EntryRecord[]> => {
    if (rows.length === 0) return [];
    const { rows: subjects } = await db.query(
      "SELECT log_index, digest, name FROM subjects WHERE log_index = ANY($1::bigint[]) ORDER BY log_index, name, digest",
      [rows.map((r) => String(r.log_index))],
    );
    return entriesWithSubjects(rows, subjects);
  };
  const oneEntry = async (column: string, value: unknown) => {
    const { rows } = await pool.query(`SELECT ${ENTRY_COLUMNS} FROM entries WHERE ${column} = $1`, [value]);
    return (await withSubjects(pool, rows))[0];
  };
  const writeAudit = (db: Queryable, audit: readonly AuditRecord[]) =>
    audit.length === 0
      ? Promise.resolve()
      : db.query(
          "INSERT INTO audit (at, actor, action, target, from_addr) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])",
          [
            audit.map((a) => a.at),
            audit.map((a) => a.actor),
            audit.map((a) => a.action),
            audit.map((a) => a.target),
            audit.map((a) => a.from ?? null),
          ],
        );
  const transaction = async <T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      const result = await fn(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  };
  // One multi-row statement per table (unnest of arrays) rather than a round
  // trip per row: an integration of a few hundred entries stays a handful of queries.
  const writeIntegration = async (db: Queryable, write: IntegrationWrite) => {
    const e = write.entries;
    if (e.length > 0) {
      await db.query(
        `INSERT INTO entries (${ENTRY_COLUMNS}) SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bytea[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::int[], $14::text[], $15::bigint[])`,
        [
          e.map((x) => String(x.logIndex)),
          e.map((x) => x.leafHash),
          e.map((x) => x.envelopeHash),
          e.map((x) => Buffer.from(x.body)),
          e.map((x) => x.bundleJson),
          e.map((x) => x.predicateType),
          e.map((x) => x.signerKeyId),
          e.map((x) => x.project),
          e.map((x) => x.sourceRepository ?? null),
          e.map((x) => x.sourceRef ?? null),
          e.map((x) => x.sourceCommit ?? null),
          e.map((x) => x.builderId ?? null),
          e.map((x) => x.slsaLevel),
          e.map((x) => x.uploadedBy),
          e.map((x) => String(x.integratedTime)),
        ],
      );
      const subjects = e.flatMap((x) => x.subjects.map((s) => ({ ...s, logIndex: x.logIndex })));
      if (subjects.length > 0) {
        await db.query(
          "INSERT INTO subjects (digest, log_index, name) SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[]) ON CONFLICT DO NOTHING",
          [subjects.map((s) => s.digest), subjects.map((s) => String(s.logIndex)), subjects.map((s) => s.name)],
        );
      }
    }
    if (write.tiles.length > 0) {
      await db.query(
        "INSERT INTO tiles (level, idx, width, data) SELECT * FROM unnest($1::int[], $2::bigint[], $3::int[], $4::bytea[]) ON CONFLICT (level, idx) DO UPDATE SET width = excluded.width, data = excluded.data WHERE excluded.width >= tiles.width",
        [
          write.tiles.map((t) => t.level),
          write.tiles.map((t) => String(t.index)),
          write.tiles.map((t) => t.width),
          write.tiles.map((t) => Buffer.from(t.data)),
        ],
      );
    }
    await db.query("UPDATE tree_state SET size = $1, root_hash = $2, checkpoint = $3 WHERE id = 1", [
      String(write.tree.size),
      Buffer.from(write.tree.rootHash),
      write.tree.checkpoint,
    ]);
    await writeAudit(db, write.audit);
  };

  return {
    backend: "postgres",
    schemaVersion,
    treeState: () => treeState(pool),
    readTile: (level, index, width) => readTile(pool, level, index, width),
    readEntryBodies: async (from, count) => {
      const { rows } = await pool.query(
        "SELECT body FROM entries WHERE log_index >= $1 AND log_index < $2 ORDER BY log_index",
        [from, from + count],
      );
      return rows.map((r: { body: Buffer }) => new Uint8Array(r.body));
    },
    entryByIndex: (i) => oneEntry("log_index", i),
    entryByLeafHash: (h) => oneEntry("leaf_hash", h),
    entryByEnvelopeHash: (h) => oneEntry("envelope_hash", h),
    entriesByDigest: async (q) => {
      const params: unknown[] = [q.digest, q.afterIndex ?? -1];
      // IN (subquery) rather than JOIN + DISTINCT: no duplicate rows to fold and no sort over the bundle column.
      const where = ["e.log_index IN (SELECT s.log_index FROM subjects s WHERE s.digest = $1)", "e.log_index > $2"];
      if (q.predicateType !== undefined) {
        params.push(q.predicateType);
        where.push(`e.predicate_type = $${params.length}`);
      }
      if (q.repository !== undefined) {
        params.push(q.repository);
        where.push(`e.source_repository = $${params.length}`);
      }
      if (q.projects !== undefined) {
        params.push(q.projects);
        where.push(`e.project = ANY($${params.length}::text[])`);
      }
      params.push(q.limit);
      const { rows } = await pool.query(
        `SELECT ${ENTRY_COLUMNS} FROM entries e WHERE ${where.join(" AND ")} ORDER BY e.log_index LIMIT $${params.length}`,
        params,
      );
      return withSubjects(pool, rows);
    },
    artifacts: async (q) => {
      const params: unknown[] = [q.afterDigest ?? ""];
      const where = ["s.digest > $1"];
      if (q.repository !== undefined) {
        params.push(q.repository);
        where.push(`e.source_repository = $${params.length}`);
      }
      if (q.name !== undefined) {
        params.push(q.name);
        where.push(`s.digest IN (SELECT digest FROM subjects WHERE name = $${params.length})`);
      }
      if (q.projects !== undefined) {
        params.push(q.projects);
        where.push(`e.project = ANY($${params.length}::text[])`);
      }
      params.push(q.limit);
      const { rows: aggregates } = await pool.query(
        `SELECT s.digest, MIN(e.integrated_time) AS first_seen, MAX(e.integrated_time) AS last_seen, MAX(e.slsa_level) AS highest FROM subjects s JOIN entries e ON e.log_index = s.log_index WHERE ${where.join(" AND ")} GROUP BY s.digest ORDER BY s.digest LIMIT $${params.length}`,
        params,
      );
      if (aggregates.length === 0) return [];
      const digests = aggregates.map((a: { digest: string }) => a.digest);
      // The names and counts come from the same rows the aggregate saw: the caller's repository and projects.
      const repoParams: unknown[] = [];
      let repo = "";
      if (q.repository !== undefined) {
        repoParams.push(q.repository);
        repo += ` AND e.source_repository = $${repoParams.length + 1}`;
      }
      if (q.projects !== undefined) {
        repoParams.push(q.projects);
        repo += ` AND e.project = ANY($${repoParams.length + 1}::text[])`;
      }
      const { rows: names } = await pool.query(
        `SELECT DISTINCT s.digest, s.name FROM subjects s JOIN entries e ON e.log_index = s.log_index WHERE s.digest = ANY($1::text[])${repo}`,
        [digests, ...repoParams],
      );
      const { rows: types } = await pool.query(
        `SELECT s.digest, e.predicate_type, COUNT(DISTINCT e.log_index) AS n FROM subjects s JOIN entries e ON e.log_index = s.log_index WHERE s.digest = ANY($1::text[])${repo} GROUP BY s.digest, e.predicate_type`,
        [digests, ...repoParams],
      );
      return artifactsFromRows(aggregates, names, types);
    },
    integrate: (work) =>
      transaction(async (client) => {
        // Waits while another replica integrates; released at COMMIT/ROLLBACK.
        await client.query("SELECT pg_advisory_xact_lock($1)", [INTEGRATOR_LOCK]);
        const context: IntegrationContext = {
          tree: await treeState(client),
          readTile: (level, index, width) => readTile(client, level, index, width),
          entriesByEnvelopeHash: async (hashes) => {
            if (hashes.length === 0) return [];
            const { rows } = await client.query(
              `SELECT ${ENTRY_COLUMNS} FROM entries WHERE envelope_hash = ANY($1::text[])`,
              [hashes],
            );
            return withSubjects(client, rows);
          },
        };
        const outcome = await work(context);
        if (outcome) await writeIntegration(client, outcome.write);
        return outcome?.result;
      }),
    putKey: (key, audit) =>
      transaction(async (client) => {
        await client.query(
          "INSERT INTO signing_keys (key_id, project, public_key_pem, name, service, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (key_id, project) DO UPDATE SET name = excluded.name, service = excluded.service",
          [key.keyId, key.project, key.publicKeyPem, key.name ?? null, key.service, key.createdAt],
        );
        await writeAudit(client, [audit]);
      }),
    keysForProjects: async (projects) => {
      const { rows } =
        projects === "*"
          ? await pool.query("SELECT * FROM signing_keys ORDER BY created_at, key_id")
          : await pool.query("SELECT * FROM signing_keys WHERE project = ANY($1::text[]) ORDER BY created_at, key_id", [
              [...projects],
            ]);
      return rows.map(keyFromRow);
    },
    putToken: (token, audit) =>
      transaction(async (client) => {
        await client.query(
          "INSERT INTO api_tokens (id, secret_hash, project, scope, name, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
          [token.id, token.secretHash, token.project, token.scope, token.name ?? null, token.createdAt],
        );
        await writeAudit(client, [audit]);
      }),
    tokenBySecretHash: async (hash) => {
      const { rows } = await pool.query("SELECT * FROM api_tokens WHERE secret_hash = $1", [hash]);
      return rows[0] ? tokenFromRow(rows[0]) : undefined;
    },
    listTokens: async () => {
      const { rows } = await pool.query("SELECT * FROM api_tokens ORDER BY created_at, id");
      return rows.map(tokenFromRow);
    },
    deleteToken: (id, audit) =>
      transaction(async (client) => {
        const { rowCount } = await client.query("DELETE FROM api_tokens WHERE id = $1", [id]);
        if ((rowCount ?? 0) > 0) await writeAudit(client, [audit]);
        return (rowCount ?? 0) > 0;
      }),
    auditLog: async (q) => {
      const { rows } = await pool.query("SELECT * FROM audit WHERE id > $1 ORDER BY id LIMIT $2", [q.afterId ?? 0, q.limit]);
      return rows.map(auditFromRow);
    },
    appendAudit: (audit) => transaction((client) => writeAudit(client, audit).then(() => undefined)),
    // One statement: PostgreSQL makes a racing insert of the same key wait for
    // the first to commit, then take the conflict branch, whose WHERE only
    // lets an expired row be replaced. So exactly one replica gets a row count of 1.
    // Committed without waiting for its WAL flush (synchronous_commit off, this
    // transaction only): the commit that acknowledges the provenance comes
    // later in the same WAL and flushes this row with it; a crash before that
    // loses only a row whose request was never answered.
    rememberTokenId: (key, expiresAt, now) =>
      transaction(async (client) => {
        await client.query("SET LOCAL synchronous_commit = off");
        const { rowCount } = await client.query(
          "INSERT INTO token_replay (key, expires_at) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE token_replay.expires_at < $3",
          [key, String(Math.ceil(expiresAt)), String(Math.floor(now))],
        );
        return (rowCount ?? 0) > 0;
      }),
    pruneTokenIds: async (now) => {
      const { rowCount } = await pool.query("DELETE FROM token_replay WHERE expires_at < $1", [String(Math.floor(now))]);
      return rowCount ?? 0;
    },
    close: () => pool.end(),
  };
}

async function migrate(pool: pg.Pool): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    // Replicas starting together: the first migrates, the others wait and find nothing to do.
    await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    await client.query("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)");
    const { rows } = await client.query("SELECT MAX(version) AS v FROM schema_migrations");
    let version = Number(rows[0]?.v ?? 0);
    const latest = POSTGRES_MIGRATIONS.at(-1)?.version ?? 0;
    if (version > latest) {
      throw new ProvenantError(
        "USAGE",
        `the PostgreSQL database has schema version ${version}, newer than this server knows (${latest}); run a newer provenant server`,
      );
    }
    for (const m of POSTGRES_MIGRATIONS) {
      if (m.version <= version) continue;
      await client.query(m.sql);
      await client.query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", [
        m.version,
        new Date().toISOString(),
      ]);
      version = m.version;
    }
    await client.query("COMMIT");
    return version;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** The URL without its password, for error messages. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable database URL)";
  }
}
