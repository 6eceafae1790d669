import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { type Environment, ProvenantError, parseWith, withoutSecrets } from "@provenant/core";
import * as z from "zod/mini";
import type { CredentialSource, Credentials } from "../registry/client.js";

const HelperName = z.string().check(z.regex(/^[A-Za-z0-9_.-]+$/, "expected a helper name"));

/** The parts of docker's `config.json` that hold credentials (docker/cli `configfile`). */
const DockerConfigSchema = z.looseObject({
  auths: z.optional(
    z.record(
      z.string(),
      z.looseObject({
        auth: z.optional(z.string()),
        username: z.optional(z.string()),
        password: z.optional(z.string()),
        identitytoken: z.optional(z.string()),
      }),
    ),
  ),
  credHelpers: z.optional(z.record(z.string(), HelperName)),
  credsStore: z.optional(HelperName),
});
type DockerConfig = z.infer<typeof DockerConfigSchema>;

/** What `docker-credential-<name> get` prints (docker-credential-helpers protocol). */
const HelperOutputSchema = z.object({ Username: z.string(), Secret: z.string() });

/** Runs `docker-credential-<helper> get` with the server URL on stdin; stdout is JSON. */
export type CredentialHelperRunner = (helper: string, serverUrl: string) => Promise<string | undefined>;

export interface RegistryCredentialOptions {
  env: Environment;
  homeDir?: string;
  runHelper?: CredentialHelperRunner;
  warn?: (message: string) => void;
}

/** Docker keeps Docker Hub's credentials under its old index URL. */
const DOCKER_HUB_KEY = "https://index.docker.io/v1/";

function keyHost(key: string): string {
  return key
    .replace(/^[a-z]+:\/\//i, "")
    .replace(/\/.*$/, "")
    .toLowerCase();
}

function isDockerHub(registry: string): boolean {
  return ["docker.io", "index.docker.io", "registry-1.docker.io"].includes(registry.toLowerCase());
}

function sameRegistry(key: string, registry: string): boolean {
  const host = keyHost(key);
  return host === registry.toLowerCase() || (isDockerHub(registry) && isDockerHub(host));
}

/**
 * `PROVENANT_REGISTRY_HOSTS` (comma-separated) keeps the variables' credentials
 * for the registries they belong to; without it they go to any registry that
 * asks, which is simplest when a job talks to one registry.
 */
function envCredentialsApply(hosts: string | undefined, registry: string): boolean {
  if (!hosts || hosts.trim() === "") return true;
  return hosts.split(",").some((host) => host.trim() !== "" && sameRegistry(host.trim(), registry));
}

/**
 * Runs `docker-credential-<helper> get`. argv array, no shell: the helper
 * name came from a config file, which a build may have rewritten; so the
 * helper also runs without Provenant's secrets (the signing key) in its
 * environment. Cloud helpers keep what they need (AWS_*, cloud SDK config).
 */
const runHelperProcess: CredentialHelperRunner = (helper, serverUrl) =>
  new Promise((resolve, reject) => {
    // What a child inherits anyway, less the secrets (so not options.env: a caller's reduced view).
    const env = withoutSecrets(process.env);
    const child = execFile(`docker-credential-${helper}`, ["get"], { timeout: 30_000, maxBuffer: 1024 * 1024, env }, (error, stdout) => {
      if (!error) return resolve(stdout);
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        return reject(new ProvenantError("IO_ERROR", `credential helper docker-credential-${helper} is not installed (named in the docker config)`));
      }
      // The helpers exit 1 with "credentials not found" for an unknown server.
      resolve(undefined);
    });
    child.stdin?.end(serverUrl);
  });

/**
 * Credentials the way docker finds them, plus Provenant's own variables:
 * `PROVENANT_REGISTRY_USERNAME`/`PROVENANT_REGISTRY_PASSWORD` first (for the
 * hosts in `PROVENANT_REGISTRY_HOSTS` when that is set), then
 * `$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`):
 * `credHelpers[host]`, `auths[host]`, then `credsStore`.
 */
export function registryCredentials(options: RegistryCredentialOptions): CredentialSource {
  const runHelper = options.runHelper ?? runHelperProcess;
  let config: Promise<DockerConfig | undefined> | undefined;
  const configPath = join(options.env.DOCKER_CONFIG ?? join(options.homeDir ?? homedir(), ".docker"), "config.json");
  return async (registry) => {
    const { PROVENANT_REGISTRY_USERNAME: username, PROVENANT_REGISTRY_PASSWORD: password } = options.env;
    if (username && password && envCredentialsApply(options.env.PROVENANT_REGISTRY_HOSTS, registry)) return { username, password };
    config ??= readDockerConfig(configPath);
    const loaded = await config;
    if (!loaded) return undefined;
    const serverUrl = isDockerHub(registry) ? DOCKER_HUB_KEY : registry;
    const helper = Object.entries(loaded.credHelpers ?? {}).find(([key]) => sameRegistry(key, registry))?.[1];
    if (helper) return fromHelper(runHelper, helper, serverUrl);
    const entry = Object.entries(loaded.auths ?? {}).find(([key]) => sameRegistry(key, registry))?.[1];
    if (entry) {
      const fromEntry = credentialsFromAuthEntry(entry, configPath);
      if (fromEntry) return fromEntry;
    }
    if (loaded.credsStore) return fromHelper(runHelper, loaded.credsStore, serverUrl);
    // docker leaves `{}` under auths when a helper holds the secret; with no helper left, say so.
    if (entry) options.warn?.(`${configPath}: the auths entry for ${registry} holds no credentials and no credsStore is set`);
    return undefined;
  };
}

/** The username docker and the credential helpers store beside an identity token (docker/cli `credentials`). */
const IDENTITY_TOKEN_USERNAME = "<token>";

function credentialsFromAuthEntry(entry: NonNullable<DockerConfig["auths"]>[string], configPath: string): Credentials | undefined {
  let fromAuth: Credentials | undefined;
  if (entry.username && entry.password) fromAuth = { username: entry.username, password: entry.password };
  else if (entry.auth) {
    const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon <= 0) throw new ProvenantError("MALFORMED_JSON", `${configPath}: an "auth" value is not base64 of USER:PASSWORD`);
    fromAuth = { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  // Like docker, an identity token wins over the password: ACR's entry pairs it
  // with a placeholder user (00000000-…) and an empty password.
  if (entry.identitytoken) return { username: fromAuth?.username ?? IDENTITY_TOKEN_USERNAME, password: "", identityToken: entry.identitytoken };
  return fromAuth;
}

async function fromHelper(runHelper: CredentialHelperRunner, helper: string, serverUrl: string): Promise<Credentials | undefined> {
  const output = await runHelper(helper, serverUrl);
  if (output === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(output);
  } catch (error) {
    // Not the parser's message nor the error as cause: both can quote the helper's output, secret included.
    throw new ProvenantError("MALFORMED_JSON", `docker-credential-${helper} printed something that is not JSON${whereJsonBroke(error)}; expected {"Username", "Secret"}`);
  }
  const parsed = parseWith(HelperOutputSchema, json, "MALFORMED_JSON", `docker-credential-${helper} output`);
  if (parsed.Username === IDENTITY_TOKEN_USERNAME) return { username: parsed.Username, password: "", identityToken: parsed.Secret };
  return { username: parsed.Username, password: parsed.Secret };
}

async function readDockerConfig(path: string): Promise<DockerConfig | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new ProvenantError("IO_ERROR", `cannot read docker config ${path}: ${(error as Error).message}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    // JSON.parse's message quotes the text around the error, and this file holds
    // secrets; keep only where it went wrong, and not the error as the cause either.
    throw new ProvenantError("MALFORMED_JSON", `docker config ${path} is not valid JSON${whereJsonBroke(error)}; expected docker's config.json format`);
  }
  return parseWith(DockerConfigSchema, json, "MALFORMED_JSON", `docker config ${path}`);
}

/** ` at line L, column C` from V8's JSON.parse message, or nothing: never the text it quotes. */
function whereJsonBroke(error: unknown): string {
  const message = (error as Error)?.message ?? "";
  const at = /\(line (\d+) column (\d+)\)/.exec(message);
  if (at) return ` at line ${at[1]}, column ${at[2]}`;
  const position = /at position (\d+)/.exec(message);
  if (position) return ` at character ${position[1]}`;
  return /Unexpected end of JSON input/.test(message) ? " (it ends too early)" : "";
}
