import { createPublicKey, type KeyObject } from "node:crypto";
import { rename, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { serve as nodeServe } from "@hono/node-server";
import { type Logger, pino } from "pino";
import { ensureServerKeys, resolveServerConfig, type ServerConfig, type ServerKeys, type ServerOptions } from "./config.js";
import { createApp } from "./http/app.js";
import type { ServerApp } from "./http/context.js";
import { problem, problemResponse } from "./http/problem.js";
import { keySigner } from "@provenant/core";
import type { SigningConfig } from "./signing/config.js";
import { createKeyCache } from "@provenant/oidc";
import { databaseReplayStore } from "./signing/replay.js";
import { registryImageSubjects, urlFileSubjects } from "./signing/server-hashed-subjects.js";
import { RegistryClient, registryCredentials } from "@provenant/oci";
import { type SigningDeps, signingDepsWithDefaults } from "./signing/sign-provenance.js";
import type { Vault } from "./vault/types.js";
import { loadServerPolicies } from "./verify/policies.js";
import { VERIFY_PATH } from "./verify/verify-route.js";

export interface RunningServer {
  /** `http://HOST:PORT` as bound (the real port when 0 was asked for). */
  url: string;
  close(): Promise<void>;
}

/** Binds the app to HOST:PORT; resolves once listening. Port 0 picks a free port. */
export function serve(app: Pick<ServerApp, "fetch">, listen: { host: string; port: number }): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = nodeServe({ fetch: app.fetch, hostname: listen.host, port: listen.port }, (info: AddressInfo) => {
      const host = info.family === "IPv6" ? `[${info.address}]` : info.address;
      resolve({
        url: `http://${host}:${info.port}`,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error ? fail(error) : done()));
            // Idle keep-alive connections would hold close() open.
            (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
          }),
      });
    });
    server.once("error", reject);
  });
}

export interface VaultServer extends RunningServer {
  config: ServerConfig;
  keys: ServerKeys;
  vault: Vault;
  /** `<data>/trusted-root.json`: a Sigstore TrustedRoot with the log key, for verifying offline. */
  trustedRootPath: string;
  /** Names of the policies loaded from `<data>/policies` (what `POST /v1/verify` accepts). */
  policies: string[];
  logPublicKeyPem: string;
}

/** How the vault is opened; the store package provides it (SQLite or PostgreSQL by `config.databaseUrl`). */
export type VaultOpener = (input: { config: ServerConfig; keys: ServerKeys }) => Promise<Vault>;

/**
 * What `provenant server` runs: resolve the configuration, create the keys on
 * first start, open the vault (migrations run there), bind, and write the
 * trusted root beside the data.
 */
export async function startVaultServer(
  options: ServerOptions,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
  deps: { openVault: VaultOpener; logger?: Logger; now?: () => number },
): Promise<VaultServer> {
  const config = await resolveServerConfig(options, env, cwd);
  const keys = await ensureServerKeys(config.dataDir);
  // Bind first, so that with port 0 the vault's base URL (and so the log
  // origin and the trusted root) names the port actually bound. Until the
  // vault is open, requests get 503.
  let app: ServerApp | undefined;
  const running = await serve(
    {
      fetch: (request: Request, bindings?: unknown) =>
        app ? app.fetch(request, bindings) : problemResponse(problem(503, "SERVER_UNAVAILABLE", "the vault is starting")),
    },
    { host: config.host, port: config.port },
  );
  const bound: ServerConfig = { ...config, port: Number(new URL(running.url).port), baseUrl: config.baseUrl ?? running.url };
  let vault: Vault;
  try {
    vault = await deps.openVault({ config: bound, keys });
  } catch (error) {
    await running.close();
    throw error;
  }
  let policies: Awaited<ReturnType<typeof loadServerPolicies>>;
  try {
    // PROVENANT_OPA names the opa binary for Rego `module:` rules, as for the CLI; default `opa` on PATH.
    policies = await loadServerPolicies(config.dataDir, env.PROVENANT_OPA ? { opa: env.PROVENANT_OPA } : {});
  } catch (error) {
    await running.close();
    await vault.close();
    throw error;
  }
  app = createApp({
    vault,
    verification: {
      policies,
      signer: keySigner(keys.signingKey),
      verifierId: `${bound.baseUrl!.replace(/\/+$/, "")}${VERIFY_PATH}`,
      ...(deps.now ? { clock: () => new Date(deps.now!()) } : {}),
    },
    logger: deps.logger,
    publicRead: config.publicRead,
    oidc: config.oidc,
    limits: config.limits,
    baseUrl: bound.baseUrl,
    now: deps.now,
    ...(config.signing ? { signing: signingServiceFor(config.signing, keys.signingKey, vault, deps.logger) } : {}),
  });
  // Verifiers pass this to `provenant verify --service-key`: only its signatures can support SLSA Build L3.
  const serviceKeyPath = join(config.dataDir, "signing.pub");
  await writeFile(`${serviceKeyPath}.${process.pid}.tmp`, createPublicKey(keys.signingKey).export({ type: "spki", format: "pem" }) as string, { mode: 0o644 });
  await rename(`${serviceKeyPath}.${process.pid}.tmp`, serviceKeyPath);
  const trustedRootPath = join(config.dataDir, "trusted-root.json");
  const temp = `${trustedRootPath}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(vault.trustedRoot(bound.baseUrl!), null, 2)}\n`, { mode: 0o644 });
  await rename(temp, trustedRootPath);
  return {
    ...running,
    close: async () => {
      await running.close();
      await vault.close();
    },
    config: bound,
    keys,
    vault,
    trustedRootPath,
    policies: [...policies.keys()],
    logPublicKeyPem: vault.logPublicKeyPem(),
  };
}

/**
 * The signing service's dependencies: the server's key, the replay store in
 * the vault's database (shared by replicas), issuers' keys kept for 5 minutes.
 */
function signingServiceFor(config: SigningConfig, signingKey: KeyObject, vault: Vault, logger: Logger | undefined): SigningDeps {
  const clock = () => new Date();
  const replay = databaseReplayStore(vault, clock, { onPruneError: (err) => logger?.warn({ err }, "pruning expired token ids failed") });
  // Registry credentials are the server's own (PROVENANT_REGISTRY_* or its Docker config), never the caller's.
  const images =
    config.registries && config.registries.length > 0
      ? registryImageSubjects({ registries: config.registries, client: new RegistryClient({ credentials: registryCredentials({ env: process.env }) }) })
      : undefined;
  // File sources' tokens are the server's own too, read from the environment variables the config names.
  const files =
    config.fileSources && config.fileSources.length > 0
      ? urlFileSubjects({
          sources: config.fileSources,
          env: process.env,
          ...(config.fileLimits?.maxBytes !== undefined ? { maxBytes: config.fileLimits.maxBytes } : {}),
          ...(config.fileLimits?.timeoutSeconds !== undefined ? { timeoutMs: config.fileLimits.timeoutSeconds * 1000 } : {}),
        })
      : undefined;
  return signingDepsWithDefaults({
    config,
    signer: keySigner(signingKey),
    clock,
    replay,
    // Issuers' keys kept 5 minutes, fetched again at once for a key id not yet seen (a rotation).
    keyCache: createKeyCache({ ttlSeconds: 300, refetchAfterSeconds: 30, clock }),
    // Azure enrichment reads the server's own credential from the variable its config names.
    environment: process.env,
    ...(images ? { images } : {}),
    ...(files ? { files } : {}),
  });
}

/** The server's structured log: one JSON object a line on stdout, without pid/hostname noise. */

export function jsonLogger(): Logger {
  return pino({ base: undefined, timestamp: pino.stdTimeFunctions.isoTime });
}
