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

/**
 * Reads a Docker Registry service connection (`connectedService:dockerregistry`)
 * the way the Docker@2 task does: the `registry`, `username` and `password`
 * authorization parameters. The password is masked before anything else runs.
 */
export function registryConnectionInput(name: string): RegistryConnection | undefined {
  const id = optionalInput(name);
  if (!id) return undefined;
  if (tl.getEndpointDataParameter(id, "registrytype", true) === "ACR") {
    throw new ProvenantError(
      "USAGE",
      `${name}: an Azure Container Registry connection (service principal or managed identity) gives no registry password to a task; use a Docker Registry connection of type Others with a token, or log in first with Docker@2 (command: login) and leave ${name} empty`,
    );
  }
  const password = readSecret(() => tl.getEndpointAuthorizationParameter(id, "password", true));
  const username = readSecret(() => tl.getEndpointAuthorizationParameter(id, "username", true), false);
  const registry = tl.getEndpointAuthorizationParameter(id, "registry", true)?.trim() || tl.getEndpointUrl(id, true)?.trim();
  if (!username || !password || !registry) {
    const missing = [!registry && "registry", !username && "username", !password && "password"].filter(Boolean).join(", ");
    throw new ProvenantError("USAGE", `${name}: the service connection has no ${missing}; expected a Docker Registry connection with a registry URL, a user name and a password or token`);
  }
  return { registry, username, password };
}
