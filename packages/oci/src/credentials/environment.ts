import { homedir } from "node:os";
import type { Environment } from "@provenant/core";
import { RegistryClient } from "../registry/client.js";
import { registryCredentials } from "./docker-config.js";

/** Comma-separated plain-HTTP hosts, for CI systems where adding a flag is harder than a variable. */
export const INSECURE_REGISTRIES_ENV = "PROVENANT_INSECURE_REGISTRIES";

export interface RegistryEnvironmentOptions {
  /** Where credentials (`PROVENANT_REGISTRY_*`, `DOCKER_CONFIG`), `HOME` and `PROVENANT_INSECURE_REGISTRIES` are read. */
  env: Environment;
  /** Where `.docker/config.json` lives when `DOCKER_CONFIG` is unset; default `env.HOME`, then the OS home. */
  homeDir?: string;
  warn?: (message: string) => void;
  /** Plain-HTTP hosts named by the caller (e.g. `--insecure-registry`), before the variable's. */
  insecureRegistries?: readonly string[];
}

/**
 * The registry client every Provenant front end (CLI, action, task) uses, so
 * that one set of variables means the same thing on each of them.
 */
export function registryClientFromEnvironment(options: RegistryEnvironmentOptions): RegistryClient {
  const { env } = options;
  const fromEnv = (env[INSECURE_REGISTRIES_ENV] ?? "")
    .split(",")
    .map((host) => host.trim())
    .filter((host) => host !== "");
  return new RegistryClient({
    credentials: registryCredentials({
      env,
      homeDir: options.homeDir ?? env.HOME ?? homedir(),
      ...(options.warn && { warn: options.warn }),
    }),
    insecureRegistries: [...(options.insecureRegistries ?? []), ...fromEnv],
  });
}

/** A username and password (or token) for one registry, e.g. from an action input or a service connection. */
export interface RegistryLogin {
  username: string;
  password: string;
  /** The registry they belong to (`ghcr.io`, `https://index.docker.io/v1/`): the only one that receives them. */
  registry: string;
}

/**
 * `env` with a login in the variables `registryCredentials` reads first,
 * limited by `PROVENANT_REGISTRY_HOSTS` to the login's registry so that a
 * redirect or a second registry never sees it; other registries fall back to
 * the docker config.
 */
export function withRegistryLogin(env: Environment, login: RegistryLogin): Environment {
  return {
    ...env,
    PROVENANT_REGISTRY_USERNAME: login.username,
    PROVENANT_REGISTRY_PASSWORD: login.password,
    PROVENANT_REGISTRY_HOSTS: login.registry,
  };
}
