import { createHash } from "node:crypto";

/**
 * Remembers token ids (`jti`) until the token expires, so one token signs
 * one provenance request. `provenant server` keeps them in the vault's
 * database (`databaseReplayStore`), so replicas sharing a PostgreSQL
 * database refuse a token any of them accepted; the in-memory one serves
 * library users with a single process (and tests).
 */
export interface ReplayStore {
  /** Records `key` until `expiresAt` (Unix seconds); false when it was already recorded and not expired. */
  remember(key: string, expiresAt: number): Promise<boolean>;
}

export function memoryReplayStore(clock: () => Date, maxEntries = 1_000_000): ReplayStore {
  const seen = new Map<string, number>();
  const sweep = (now: number) => {
    for (const [key, expiresAt] of seen) if (expiresAt < now) seen.delete(key);
  };
  return {
    async remember(key, expiresAt) {
      const now = clock().getTime() / 1000;
      const known = seen.get(key);
      if (known !== undefined && known >= now) return false;
      if (seen.size >= maxEntries) sweep(now);
      // Still full of live tokens: refusing is safer than forgetting one.
      if (seen.size >= maxEntries) return false;
      seen.set(key, expiresAt);
      return true;
    },
  };
}

/** What the database replay store needs of the vault (its `token_replay` table). */
export interface TokenIdTable {
  rememberTokenId(key: string, expiresAt: number, now: number): Promise<boolean>;
  pruneTokenIds(now: number): Promise<number>;
}

/**
 * The replay store in the vault's database (SQLite or PostgreSQL). Each id
 * is stored as the SHA-256 of `issuer \n jti` (fixed length, whatever the
 * issuer URL); the insert-if-absent is one statement, so two replicas
 * racing on one token accept it exactly once. Expired rows are deleted at
 * most once per `pruneEverySeconds` of the injected clock, after an insert,
 * without holding up the request.
 */
export function databaseReplayStore(
  table: TokenIdTable,
  clock: () => Date,
  options: { pruneEverySeconds?: number; onPruneError?: (error: unknown) => void } = {},
): ReplayStore {
  const every = options.pruneEverySeconds ?? 60;
  let lastPrune = Number.NEGATIVE_INFINITY;
  return {
    async remember(key, expiresAt) {
      const now = clock().getTime() / 1000;
      const accepted = await table.rememberTokenId(createHash("sha256").update(key).digest("hex"), expiresAt, now);
      if (now - lastPrune >= every) {
        lastPrune = now;
        table.pruneTokenIds(now).catch((error: unknown) => options.onPruneError?.(error));
      }
      return accepted;
    },
  };
}
