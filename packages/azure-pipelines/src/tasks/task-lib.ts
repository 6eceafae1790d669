import { Writable } from "node:stream";
import { ProvenantError } from "@provenant/core";
import * as tl from "azure-pipelines-task-lib/task";
import type { RegistryConnection } from "./registry.js";

/** Registers a secret with the agent, line by line: the task library refuses multi-line secrets, and a PEM key is one. */
export function maskSecret(value: string | undefined): string | undefined {
  if (!value) return value;
  for (const line of value.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed !== "" && !/^-----(BEGIN|END) /.test(trimmed)) tl.setSecret(trimmed);
  }
  return value;
}

const discard = new Writable({ write: (_chunk, _encoding, done) => done() });

/**
 * Reads a secret without the task library's debug echo (`name=value`) and
 * masks it before anything else is printed (unless `mask` is false: a value
 * read quietly that is no secret, such as a registry user name). The agent masks the secrets it
 * knows, but a value should never reach the log in clear in the first place.
 */
export function readSecret(read: () => string | undefined, mask = true): string | undefined {
  tl.setStdStream(discard);
  let value: string | undefined;
  try {
    value = read();
  } finally {
    tl.setStdStream(process.stdout);
  }
  const present = value?.trim() ? value : undefined;
  return mask ? maskSecret(present) : present;
}

export function optionalInput(name: string): string | undefined {
  const value = tl.getInput(name, false)?.trim();
  return value ? value : undefined;
}

/**
 * A `filePath` input the user filled in. The agent hands an empty one to
 * the task as the sources directory; `filePathSupplied` tells the two apart.
 */
export function filePathInput(name: string): string | undefined {
  return tl.filePathSupplied(name) ? optionalInput(name) : undefined;
}

export function lineInputs(name: string, required = false): string[] {
  return tl
    .getDelimitedInput(name, "\n", required)
    .map((line) => line.trim())
    .filter(Boolean);
}

function missingFields(name: string, fields: Record<string, string | undefined>, expected: string): void {
  const missing = Object.entries(fields)
    .filter(([, value]) => !value)
    .map(([field]) => field);
  if (missing.length > 0) throw new ProvenantError("USAGE", `${name}: the service connection has no ${missing.join(", ")}; expected ${expected}`);
}

/**
 * An Azure Container Registry connection, read as the Docker@2 task reads
 * it (docker-common's ACR token provider): the service principal's
 * `serviceprincipalid` and `serviceprincipalkey` are the user name and
 * password for the `loginServer`, which ACR accepts as Basic credentials.
 * Older connections store `loginServer` as JSON `{ loginServer, id }`.
 * Managed identity and workload identity federation connections hold no
 * secret: their token comes from an Entra exchange that Docker@2 performs.
 */
function acrConnectionInput(name: string, id: string): RegistryConnection {
  const scheme = tl.getEndpointAuthorizationScheme(id, true)?.trim();
  if (scheme && scheme.toLowerCase() !== "serviceprincipal") {
    throw new ProvenantError(
      "USAGE",
      `${name}: an Azure Container Registry connection of the ${scheme} kind holds no registry password a task can use; expected one of the service principal kind, or log in first with Docker@2 (command: login) and leave ${name} empty`,
    );
  }
  const password = readSecret(() => tl.getEndpointAuthorizationParameter(id, "serviceprincipalkey", true));
  const username = readSecret(() => tl.getEndpointAuthorizationParameter(id, "serviceprincipalid", true), false);
  let loginServer = readSecret(() => tl.getEndpointAuthorizationParameter(id, "loginServer", true), false)?.trim();
  if (loginServer?.startsWith("{")) {
    try {
      loginServer = (JSON.parse(loginServer) as { loginServer?: string }).loginServer?.trim();
    } catch {
      loginServer = undefined;
    }
  }
  missingFields(name, { loginServer, serviceprincipalid: username, serviceprincipalkey: password }, "an Azure Container Registry connection with a login server and a service principal's id and key");
  return { registry: loginServer!.toLowerCase(), username: username!, password: password! };
}

/**
 * Reads a Docker Registry service connection (`connectedService:dockerregistry`)
 * the way the Docker@2 task does: the `registry`, `username` and `password`
 * authorization parameters, or an ACR connection's service principal.
 * The password is masked before anything else runs.
 */
export function registryConnectionInput(name: string): RegistryConnection | undefined {
  const id = optionalInput(name);
  if (!id) return undefined;
  if (tl.getEndpointDataParameter(id, "registrytype", true) === "ACR") return acrConnectionInput(name, id);
  const password = readSecret(() => tl.getEndpointAuthorizationParameter(id, "password", true));
  const username = readSecret(() => tl.getEndpointAuthorizationParameter(id, "username", true), false);
  const registry = tl.getEndpointAuthorizationParameter(id, "registry", true)?.trim() || tl.getEndpointUrl(id, true)?.trim();
  missingFields(name, { registry, username, password }, "a Docker Registry connection with a registry URL, a user name and a password or token");
  return { registry: registry!, username: username!, password: password! };
}
