import { generateKeyPairSync, type KeyObject, createPrivateKey } from "node:crypto";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { ProvenantError } from "@provenant/core";
import * as z from "zod";
import type { OidcIssuerConfig } from "./http/auth.js";
import type { AppLimits } from "./http/context.js";
import { parseSigningConfig, type SigningConfig } from "./signing/config.js";

export const DEFAULT_DATA_DIR = "provenant-data";
export const DEFAULT_LISTEN = "127.0.0.1:8080";

/** What `provenant server` was given: flags first, then the environment. */
export interface ServerOptions {
  data?: string;
  database?: string;
  listen?: string;
  publicRead?: boolean;
}

export interface ServerConfig {
  dataDir: string;
  /** postgres://… selects PostgreSQL; absent = SQLite in the data directory. */
  databaseUrl?: string;
  host: string;
  port: number;
  publicRead: boolean;
  /** Public URL of the server, for the trusted root (default: the listen URL). */
  baseUrl?: string;
  oidc?: { audience: string; issuers: OidcIssuerConfig[] };
  limits?: Partial<AppLimits>;
  /** The signing service (`POST /v1/provenance`): trusted issuers, audiences, repositories, limits. */
  signing?: SigningConfig;
}

/** `<data>/server.json`, optional: what flags do not cover. */
const ConfigFileSchema = z.strictObject({
  publicRead: z.boolean().optional(),
  // Checked by parseSigningConfig, which names the bad field under `signing.`.
  signing: z.unknown().optional(),
  baseUrl: z.url().optional(),
  oidc: z
    .strictObject({
      audience: z.string().min(1),
      issuers: z.array(z.strictObject({ issuer: z.url(), projectClaim: z.string().min(1), jwksUri: z.url().optional() })).min(1),
    })
    .optional(),
  limits: z
    .strictObject({
      maxBodyBytes: z.number().int().positive().optional(),
      maxJsonDepth: z.number().int().positive().optional(),
      maxPageSize: z.number().int().positive().optional(),
      rateLimit: z.strictObject({ requests: z.number().int().positive(), windowMs: z.number().int().positive() }).optional(),
    })
    .optional(),
});

/** `HOST:PORT`, `[v6]:PORT` or `:PORT` (loopback). */
export function parseListen(text: string): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[3]) : Number.NaN;
  if (!match || port > 65_535) {
    throw new ProvenantError("USAGE", `--listen ${text}: expected HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080`);
  }
  return { host: match[1] ?? (match[2] || "127.0.0.1"), port };
}

/** Strips the password from a database URL so it can be printed or logged. */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "<unparsable database URL>";
  }
}

export async function resolveServerConfig(options: ServerOptions, env: Readonly<Record<string, string | undefined>>, cwd: string): Promise<ServerConfig> {
  const data = options.data ?? env.PROVENANT_DATA_DIR ?? DEFAULT_DATA_DIR;
  const dataDir = isAbsolute(data) ? data : resolve(cwd, data);
  const databaseUrl = options.database ?? env.PROVENANT_DATABASE_URL ?? undefined;
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ProvenantError("USAGE", `--database ${redactDatabaseUrl(databaseUrl)}: expected postgres://USER@HOST/DB (leave it out for SQLite in the data directory)`);
  }
  const { host, port } = parseListen(options.listen ?? env.PROVENANT_LISTEN ?? DEFAULT_LISTEN);
  let file: z.infer<typeof ConfigFileSchema> = {};
  const path = join(dataDir, "server.json");
  let text: string | undefined;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new ProvenantError("IO_ERROR", `cannot read ${path}: ${(error as Error).message}`, { cause: error });
    }
  }
  if (text !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (cause) {
      throw new ProvenantError("MALFORMED_JSON", `${path} is not JSON: ${(cause as Error).message}`, { cause });
    }
    const parsed = ConfigFileSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ProvenantError("USAGE", `${path}: ${issue.path.join(".") || "(top level)"}: ${issue.message}`);
    }
    file = parsed.data;
  }
  return {
    dataDir,
    databaseUrl,
    host,
    port,
    publicRead: options.publicRead ?? file.publicRead ?? false,
    baseUrl: file.baseUrl,
    oidc: file.oidc,
    limits: file.limits,
    ...(file.signing !== undefined ? { signing: parseSigningConfig(file.signing) } : {}),
  };
}

export interface ServerKeys {
  /** Signs checkpoints and inclusion promises (Ed25519). */
  logKey: KeyObject;
  /** The server's own signing key (ECDSA P-256), for the signing service. */
  signingKey: KeyObject;
  logKeyPath: string;
  signingKeyPath: string;
}

async function loadOrCreateKey(path: string, generate: () => KeyObject): Promise<KeyObject> {
  try {
    return createPrivateKey(await readFile(path, "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new ProvenantError("KEY_UNREADABLE", `cannot read the key ${path}: ${(error as Error).message}`, { cause: error });
    }
  }
  const key = generate();
  const pem = key.export({ type: "pkcs8", format: "pem" }) as string;
  // Temp file + rename, created 0600: a crash never leaves a half key, and
  // no other user can read it at any moment.
  const temp = `${path}.${process.pid}.tmp`;
  const handle = await open(temp, "wx", 0o600);
  try {
    await handle.writeFile(pem);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return key;
}

/** Creates the data directory and, on first start, the log key and the signing key in it (mode 0600). */
export async function ensureServerKeys(dataDir: string): Promise<ServerKeys> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const logKeyPath = join(dataDir, "log.key");
  const signingKeyPath = join(dataDir, "signing.key");
  const logKey = await loadOrCreateKey(logKeyPath, () => generateKeyPairSync("ed25519").privateKey);
  const signingKey = await loadOrCreateKey(signingKeyPath, () => generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey);
  return { logKey, signingKey, logKeyPath, signingKeyPath };
}
