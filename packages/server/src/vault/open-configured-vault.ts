import type { KeyObject } from "node:crypto";
import { join } from "node:path";
import { openPostgresStore } from "../store/postgres/postgres-store.js";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import type { Store } from "../store/store.js";
import { openVault } from "./open-vault.js";
import type { Vault } from "./types.js";

/** The file under the data directory that holds the embedded store. */
export const SQLITE_FILE = "vault.sqlite";
/** Uploads arriving within this window share one integration (and one fsync). */
export const DEFAULT_BATCH_WINDOW_MS = 5;

export interface ConfiguredVaultInput {
  config: { dataDir: string; databaseUrl?: string; baseUrl?: string; host: string; port: number };
  keys: { logKey: KeyObject; signingKey?: KeyObject };
  clock?: () => Date;
}

/** Opens the store the configuration names (PostgreSQL when a database URL is given, else SQLite in the data directory). */
export async function openConfiguredStore(config: ConfiguredVaultInput["config"]): Promise<Store> {
  return config.databaseUrl
    ? openPostgresStore({ connectionString: config.databaseUrl })
    : openSqliteStore({ path: join(config.dataDir, SQLITE_FILE) });
}

/**
 * The log origin for a base URL: host and path without the scheme
 * (C2SP origins are schemeless), so the checkpoint's origin lies inside the
 * trusted root's baseUrl as @sigstore/verify requires.
 */
export function logOriginFor(baseUrl: string): string {
  return baseUrl.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "").replace(/\/+$/, "");
}

/** What `provenant server` opens: the configured store and a vault over it. */
export async function openConfiguredVault(input: ConfiguredVaultInput): Promise<Vault> {
  const store = await openConfiguredStore(input.config);
  const baseUrl = input.config.baseUrl ?? `http://${input.config.host}:${input.config.port}`;
  try {
    return await openVault({
      store,
      logKey: input.keys.logKey,
      ...(input.keys.signingKey ? { signingKey: input.keys.signingKey } : {}),
      origin: logOriginFor(baseUrl),
      clock: input.clock ?? (() => new Date()),
      batchWindowMs: DEFAULT_BATCH_WINDOW_MS,
    });
  } catch (error) {
    await store.close();
    throw error;
  }
}
