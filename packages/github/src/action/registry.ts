import { type Environment, ProvenantError } from "@provenant/core";
import { type ImageReference, withRegistryLogin } from "@provenant/oci";

/**
 * The environment a registry client gets: the registry-username and
 * registry-password inputs, when given, become the variables the OCI client
 * reads, limited to the image's own registry so that a redirect or a second
 * registry never sees them. Without them the docker config written by
 * docker/login-action (or a credential helper) answers.
 */
export function registryEnvironment(
  env: Environment,
  image: ImageReference,
  inputs: { registryUsername: string; registryPassword: string },
): Environment {
  const { registryUsername: username, registryPassword: password } = inputs;
  if (!username && !password) return env;
  if (!username || !password) {
    throw new ProvenantError(
      "USAGE",
      `registry-${username ? "password" : "username"} is empty but registry-${username ? "username" : "password"} is set; give both, or neither to use the docker config (docker/login-action)`,
    );
  }
  return withRegistryLogin(env, { username, password, registry: image.registry });
}
