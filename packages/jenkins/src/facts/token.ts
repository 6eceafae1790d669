import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { type Environment, ProvenantError } from "@provenant/core";
import { type TokenClaims, verifyIdToken } from "@provenant/oidc";

/** Where the library step binds the OpenID Connect id token credentials. */
export const DEFAULT_TOKEN_VARIABLE = "PROVENANT_ID_TOKEN";
/** Names a folder issuer (`<JENKINS_URL>oidc/job/<folder>`) or an external one; see issuerFor. */
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
 * The job's ID token for the signing service (`provenant attest --server`):
 * the OpenID Connect id token credential bound to `requestedVariable` (or
 * DEFAULT_TOKEN_VARIABLE). Jenkins cannot ask for an audience at run time:
 * the credential's own audience must be one the server accepts, which the
 * server checks. Without the variable this fails, naming what to bind; it
 * never falls back to a key.
 */
export async function serviceIdToken(env: Environment, cwd: string, requestedVariable: string | undefined, audience: string): Promise<string> {
  const token = await readIdToken(env, cwd, requestedVariable);
  if (token !== undefined) return token;
  throw new ProvenantError(
    "PLATFORM_FACTS_MISSING",
    `--server needs the job's ID token in ${DEFAULT_TOKEN_VARIABLE}: bind an OpenID Connect id token credential (OIDC Provider plugin) ` +
      `whose audience the server accepts (e.g. ${audience}) with withCredentials, as provenantAttest(server: …, credentialsId: …) does`,
  );
}

/**
 * Which issuer to verify the ID token against, and whether the controller
 * itself serves it. Only the controller's own issuers can make the facts
 * `oidc-token` (L2); any other is `external`, and its facts, verified all the
 * same, are `external-oidc-token` (L1).
 */
export type IssuerChoice =
  | {
      external: false;
      issuer: string;
      /** For a folder issuer: the folder's URL (`<JENKINS_URL>job/a/job/b/`), which must contain the job. */
      folderUrl?: string;
    }
  | { external: true; issuer: string; reason: string };

/**
 * The issuer the build asked for: `--token-issuer` (the step passes none, a
 * direct CLI call may), else ISSUER_VARIABLE (the step's `issuer:`). Both are
 * in the build's hands, which is why issuerFor decides what the issuer is
 * worth rather than trusting either.
 */
export function configuredIssuer(
  env: Environment,
  optionIssuer: string | undefined,
  warn: (message: string) => void,
): string | undefined {
  const option = optionIssuer?.trim() || undefined;
  const variable = env[ISSUER_VARIABLE]?.trim() || undefined;
  if (option !== undefined && variable !== undefined && option !== variable) {
    warn(`--token-issuer ${option} is used; ${ISSUER_VARIABLE} (${variable}) is ignored`);
  }
  return option ?? variable;
}

/**
 * The OIDC Provider plugin serves every issuer it runs under its root action
 * `<JENKINS_URL>oidc`: credentials at the root get `<JENKINS_URL>oidc`, those
 * in a folder `<JENKINS_URL>oidc/job/<folder>[/job/<sub>…]` (its `Issuer.url()`
 * and `FolderIssuer.uri()`). The configured issuer may name one of them, but
 * any step can set it (`environment {}`, `withEnv`, the step's `issuer:`), so
 * only an issuer the controller itself serves, for a folder holding this job,
 * counts as the controller's: anything else could be a key the build
 * controls, and a token it signed must not make its facts look like the
 * controller's own. Other URLs under JENKINS_URL are no better — archived
 * artifacts and `userContent` are served there too — so they are external.
 */
export function issuerFor(configured: string | undefined, controllerUrl: string, jobUrl: string | undefined): IssuerChoice {
  const rootIssuer = `${controllerUrl}oidc`;
  const trimmed = configured?.replace(/\/+$/, "");
  if (!trimmed || trimmed === rootIssuer) return { external: false, issuer: rootIssuer };
  const expected = `the controller's own are ${rootIssuer} and the folder issuers ${rootIssuer}/job/<folder> of folders holding this job`;
  // An external issuer's `iss` is compared exactly, trailing slash and all.
  const external = (reason: string): IssuerChoice => ({ external: true, issuer: externalIssuerUrl(configured!), reason: `${reason}; ${expected}` });
  if (!trimmed.startsWith(`${rootIssuer}/`)) return external(`it is not served by this controller (${controllerUrl})`);
  const folderPath = trimmed.slice(rootIssuer.length);
  if (!/^(?:\/job\/[^/?#]+)+$/.test(folderPath)) return external("it is not an issuer the OIDC Provider plugin serves");
  const folderUrl = `${controllerUrl}${folderPath.slice(1)}/`;
  if (jobUrl !== undefined && !jobUrl.startsWith(folderUrl)) {
    return external(`it is the issuer of folder ${folderUrl}, which does not hold this job (${jobUrl})`);
  }
  return { external: false, issuer: trimmed, folderUrl };
}

const LOOPBACK = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/;

/**
 * Discovery and JWKS of an external issuer are fetched over https: over
 * plain http anyone on the path could hand over keys of their own. Loopback
 * has no such path (and is where tests and sidecar issuers run).
 */
function externalIssuerUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ProvenantError("USAGE", `the ID token issuer (${ISSUER_VARIABLE} or --token-issuer) is not a URL; expected an https URL such as https://issuer.example.com`);
  }
  const loopbackHttp = url.protocol === "http:" && LOOPBACK.test(url.hostname);
  if (url.protocol !== "https:" && !loopbackHttp) {
    throw new ProvenantError("USAGE", `the ID token issuer ${url.origin} uses ${url.protocol}; expected https (plain http only on loopback)`);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new ProvenantError("USAGE", "the ID token issuer has user information, a query or a fragment; expected a plain https URL, as the token's iss claim");
  }
  return value;
}

export async function verifyJenkinsToken(
  token: string,
  options: { issuer: string; audience: string; fetch: typeof globalThis.fetch; now: () => Date },
): Promise<TokenClaims> {
  return verifyIdToken(token, { ...options, requiredClaims: ["sub"] });
}
