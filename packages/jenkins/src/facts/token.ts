import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { type Environment, ProvenantError } from "@provenant/core";
import { type TokenClaims, verifyIdToken } from "@provenant/oidc";

/** Where the library step binds the OpenID Connect id token credentials. */
export const DEFAULT_TOKEN_VARIABLE = "PROVENANT_ID_TOKEN";
/** Names a folder issuer (`<JENKINS_URL>oidc/job/<folder>`) for folder-scoped credentials; see issuerFor. */
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

/** Which issuer to verify the ID token against, and whether it may vouch for this controller's builds. */
export type IssuerChoice =
  | {
      trusted: true;
      issuer: string;
      /** For a folder issuer: the folder's URL (`<JENKINS_URL>job/a/job/b/`), which must contain the job. */
      folderUrl?: string;
    }
  | { trusted: false; issuer: string; reason: string };

/**
 * The OIDC Provider plugin serves every issuer it runs under its root action
 * `<JENKINS_URL>oidc`: credentials at the root get `<JENKINS_URL>oidc`, those
 * in a folder `<JENKINS_URL>oidc/job/<folder>[/job/<sub>…]` (its `Issuer.url()`
 * and `FolderIssuer.uri()`). ISSUER_VARIABLE picks one of them, but any step
 * can set it (`environment {}`, `withEnv`, the step's `issuer:`), so only an
 * issuer the controller itself serves, for a folder holding this job, is
 * trusted: anything else could be a key the build controls, and a token it
 * signed would make environment facts look token-backed under the
 * controller's builder id. Other URLs under JENKINS_URL are no better —
 * archived artifacts and `userContent` are served there too.
 */
export function issuerFor(env: Environment, controllerUrl: string, jobUrl: string | undefined): IssuerChoice {
  const rootIssuer = `${controllerUrl}oidc`;
  const configured = env[ISSUER_VARIABLE]?.trim().replace(/\/+$/, "");
  if (!configured || configured === rootIssuer) return { trusted: true, issuer: rootIssuer };
  const expected = `expected ${rootIssuer} or a folder issuer ${rootIssuer}/job/<folder>, which the OIDC Provider plugin serves`;
  if (!configured.startsWith(`${rootIssuer}/`)) {
    return { trusted: false, issuer: configured, reason: `it is not served by this controller (${controllerUrl}); ${expected}` };
  }
  const folderPath = configured.slice(rootIssuer.length);
  if (!/^(?:\/job\/[^/?#]+)+$/.test(folderPath)) {
    return { trusted: false, issuer: configured, reason: `it is not an issuer the OIDC Provider plugin serves; ${expected}` };
  }
  const folderUrl = `${controllerUrl}${folderPath.slice(1)}/`;
  if (jobUrl !== undefined && !jobUrl.startsWith(folderUrl)) {
    return { trusted: false, issuer: configured, reason: `it is the issuer of folder ${folderUrl}, which does not hold this job (${jobUrl})` };
  }
  return { trusted: true, issuer: configured, folderUrl };
}

export async function verifyJenkinsToken(
  token: string,
  options: { issuer: string; audience: string; fetch: typeof globalThis.fetch; now: () => Date },
): Promise<TokenClaims> {
  return verifyIdToken(token, { ...options, requiredClaims: ["sub"] });
}
