import { rename, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { serve as nodeServe } from "@hono/node-server";
import { type Logger, pino } from "pino";
import { ensureServerKeys, resolveServerConfig, type ServerConfig, type ServerKeys, type ServerOptions } from "./config.js";
import { createApp } from "./http/app.js";
import type { ServerApp } from "./http/context.js";
import type { Vault } from "./vault/types.js";

export interface RunningServer {
  /** `http://HOST:PORT` as bound (the real port when 0 was asked for). */
  url: string;
  close(): Promise<void>;
}

/** Binds the app to HOST:PORT; resolves once listening. Port 0 picks a free port. */
export function serve(app: ServerApp, listen: { host: string; port: number }): Promise<RunningServer> {
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
  const vault = await deps.openVault({ config, keys });
  let running: RunningServer;
  try {
    const app = createApp({
      vault,
      logger: deps.logger,
      publicRead: config.publicRead,
      oidc: config.oidc,
      limits: config.limits,
      baseUrl: config.baseUrl,
      now: deps.now,
    });
    running = await serve(app, { host: config.host, port: config.port });
  } catch (error) {
    await vault.close();
    throw error;
  }
  const trustedRootPath = join(config.dataDir, "trusted-root.json");
  const temp = `${trustedRootPath}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(vault.trustedRoot(config.baseUrl ?? running.url), null, 2)}\n`, { mode: 0o644 });
  await rename(temp, trustedRootPath);
  return {
    ...running,
    close: async () => {
      await running.close();
      await vault.close();
    },
    config,
    keys,
    vault,
    trustedRootPath,
    logPublicKeyPem: vault.logPublicKeyPem(),
  };
}

/** The server's structured log: one JSON object a line on stdout, without pid/hostname noise. */
export function jsonLogger(): Logger {
  return pino({ base: undefined, timestamp: pino.stdTimeFunctions.isoTime });
}
