import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { type Environment, ProvenantError } from "@provenant/core";
import { type TokenClaims, verifyIdToken } from "@provenant/oidc";

/** Where the library step binds the OpenID Connect id token credentials. */
export const DEFAULT_TOKEN_VARIABLE = "PROVENANT_ID_TOKEN";
/** Overrides the issuer, for folder-scoped credentials or an external issuer. */
export const ISSUER_VARIABLE = "PROVENANT_JENKINS_OIDC_ISSUER";
/** The audience the id token credentials should be configured with. */
export const DEFAULT_AUDIENCE = "provenant";

const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * The ID token bound to `variable`: the plugin's "OpenID Connect id token"
 * credentials put the token itself there, the "… as file" kind a path to a
 * file holding it. Undefined when the variable is unset and was not asked
 * for by name. Errors name the variable, never its value.
 */
export async function readIdToken(
  env: Environment,
  cwd: string,
  requestedVariable: string | undefined,
): Promise<string | undefined> {
  const variable = requestedVariable ?? DEFAULT_TOKEN_VARIABLE;
  const value = env[variable]?.trim();
  if (!value) {
    if (requestedVariable === undefined) return undefined;
    throw new ProvenantError(
      "PLATFORM_FACTS_MISSING",
      `--token-variable ${variable}: ${variable} is not set; expected the OpenID Connect id token (or the path of its file) bound with withCredentials`,
    );
  }
  if (JWS_COMPACT.test(value)) return value;
  let text: string;
  try {
    text = await readFile(resolve(cwd, value), "utf8");
  } catch (cause) {
    throw new ProvenantError(
      "TOKEN_INVALID",
      `${variable} holds neither an ID token nor the path of a readable file holding one`,
      { cause },
    );
  }
  const token = text.trim();
  if (!JWS_COMPACT.test(token)) {
    throw new ProvenantError("TOKEN_INVALID", `the file named by ${variable} does not hold a JWS compact ID token`);
  }
  return token;
}

/**
 * The issuer Jenkins' OIDC Provider plugin uses for credentials at the root:
 * `<JENKINS_URL>oidc`. Folder credentials use `<JENKINS_URL>job/<folder>/oidc`
 * and an external issuer is any URL; both are set through ISSUER_VARIABLE.
 */
export function issuerFor(env: Environment, controllerUrl: string): string {
  const configured = env[ISSUER_VARIABLE]?.trim();
  return configured ? configured.replace(/\/+$/, "") : `${controllerUrl}oidc`;
}

export async function verifyJenkinsToken(
  token: string,
  options: { issuer: string; audience: string; fetch: typeof globalThis.fetch; now: () => Date },
): Promise<TokenClaims> {
  return verifyIdToken(token, { ...options, requiredClaims: ["sub"] });
}
