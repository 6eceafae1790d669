import type { Environment } from "@provenant/core";
import { type RegistryClient, registryClientFromEnvironment, withRegistryLogin } from "@provenant/oci";

/** Username and password from a Docker Registry service connection, and the registry they belong to. */
export interface RegistryConnection {
  /** The connection's registry URL, e.g. `https://index.docker.io/v1/` or `myregistry.example.com`. */
  registry: string;
  username: string;
  password: string;
}

/**
 * A registry client for the tasks. A service connection's credentials become
 * the variables `@provenant/oci` reads, with `PROVENANT_REGISTRY_HOSTS` set to
 * the connection's own registry, so an image on another registry (or a
 * redirect there) never receives them; that registry falls back to the docker
 * config a `Docker@2 login` step wrote (`DOCKER_CONFIG`), then to anonymous.
 */
export function taskRegistryClient(environment: Environment, connection: RegistryConnection | undefined, warn: (message: string) => void): RegistryClient {
  const env = connection ? withRegistryLogin(environment, connection) : environment;
  return registryClientFromEnvironment({ env, warn });
}
