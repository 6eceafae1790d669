import type { Environment } from "./platform.js";

/**
 * Variables that hold Provenant's secrets: the signing key and its password,
 * registry and API credentials, ID tokens. Child processes Provenant starts
 * (git, docker credential helpers) run code a build could have configured
 * (`core.fsmonitor`, a helper named in a rewritable config.json), so they get
 * the environment without these.
 */
export const SECRET_VARIABLES: readonly string[] = [
  "PROVENANT_SIGNING_KEY",
  "PROVENANT_KEY_PASSWORD",
  "PROVENANT_REGISTRY_PASSWORD",
  "PROVENANT_ID_TOKEN",
  "PROVENANT_GITLAB_API_TOKEN",
  "JENKINS_API_TOKEN",
  "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
  "SYSTEM_ACCESSTOKEN",
  "CI_JOB_TOKEN",
  "CI_JOB_JWT",
  "CI_JOB_JWT_V2",
];

/** A copy of `env` for a child process, without Provenant's secrets. */
export function withoutSecrets(env: Environment): Record<string, string> {
  const copy: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && !SECRET_VARIABLES.includes(name)) copy[name] = value;
  }
  return copy;
}
