import { homedir } from "node:os";
import type { Environment } from "@provenant/core";
import { RegistryClient, registryCredentials } from "@provenant/oci";

/** Username and password from a Docker Registry service connection, and the registry they belong to. */
export interface RegistryConnection {
  /** The connection's registry URL, e.g. `https://index.docker.io/v1/` or `myregistry.example.com`. */
  registry: string;
  username: string;
  password: string;
}

/** The CLI's variable for plain-HTTP registry hosts, honoured here too so one pipeline variable serves both. */
const INSECURE_REGISTRIES = "PROVENANT_INSECURE_REGISTRIES";

/**
 * A registry client for the tasks. A service connection's credentials become
 * the variables `@provenant/oci` reads, with `PROVENANT_REGISTRY_HOSTS` set to
 * the connection's own registry, so an image on another registry (or a
 * redirect there) never receives them; that registry falls back to the docker
 * config a `Docker@2 login` step wrote (`DOCKER_CONFIG`), then to anonymous.
 */
export function taskRegistryClient(environment: Environment, connection: RegistryConnection | undefined, warn: (message: string) => void): RegistryClient {
  const env: Environment = connection
    ? {
        ...environment,
        PROVENANT_REGISTRY_USERNAME: connection.username,
        PROVENANT_REGISTRY_PASSWORD: connection.password,
        PROVENANT_REGISTRY_HOSTS: connection.registry,
      }
    : environment;
  return new RegistryClient({
    credentials: registryCredentials({ env, homeDir: env.HOME ?? homedir(), warn }),
    insecureRegistries: (env[INSECURE_REGISTRIES] ?? "")
      .split(",")
      .map((host) => host.trim())
      .filter(Boolean),
  });
}
