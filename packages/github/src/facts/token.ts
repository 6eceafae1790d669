import { type Environment, ProvenantError } from "@provenant/core";
import { type TokenClaims, verifyIdToken } from "@provenant/oidc";
import { decodeJwt } from "jose";
import * as z from "zod/mini";
import { REQUIRED_CLAIMS } from "./claims.js";
import { acceptedIssuer } from "./server.js";

export const DEFAULT_AUDIENCE = "provenant";

// The runner's token service answers `{ "count": 1, "value": "<jwt>" }`
// (the shape @actions/core's OidcClient reads).
const TokenResponseSchema = z.looseObject({ value: z.string().check(z.minLength(1)) });

/** The job can request an ID token only when the workflow grants `id-token: write`. */
export function canRequestIdToken(env: Environment): boolean {
  return Boolean(env.ACTIONS_ID_TOKEN_REQUEST_URL && env.ACTIONS_ID_TOKEN_REQUEST_TOKEN);
}

/**
 * Requests the job's ID token the way @actions/core's `getIDToken` does:
 * GET `$ACTIONS_ID_TOKEN_REQUEST_URL&audience=<aud>` with the request token
 * as bearer. Neither token is ever put in a message.
 */
export async function requestIdToken(env: Environment, audience: string, fetcher: typeof globalThis.fetch): Promise<string> {
  const base = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const bearer = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (!base || !bearer) {
    throw new ProvenantError(
      "PLATFORM_FACTS_MISSING",
      "ACTIONS_ID_TOKEN_REQUEST_URL / ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set; grant the job `permissions: id-token: write`",
    );
  }
  const url = `${base}&audience=${encodeURIComponent(audience)}`;
  if (!URL.canParse(url)) {
    throw new ProvenantError("PLATFORM_FACTS_MISSING", "ACTIONS_ID_TOKEN_REQUEST_URL is not a URL; expected the one the runner sets");
  }
  const where = new URL(url).origin;
  let response: Response;
  try {
    response = await fetcher(url, {
      headers: { authorization: `Bearer ${bearer}`, accept: "application/json" },
      signal: AbortSignal.timeout(30_000),
    });
  } catch (cause) {
    throw new ProvenantError("TOKEN_UNAVAILABLE", `cannot reach the Actions ID token service at ${where}: ${(cause as Error).message}`, { cause });
  }
  if (!response.ok) {
    throw new ProvenantError(
      "TOKEN_INVALID",
      `the Actions ID token service at ${where} answered HTTP ${response.status}; expected 200 (does the job have id-token: write?)`,
    );
  }
  const body = z.safeParse(TokenResponseSchema, await response.json().catch(() => undefined));
  if (!body.success) {
    throw new ProvenantError("TOKEN_INVALID", `the Actions ID token service at ${where} answered without a "value" token`);
  }
  return body.data.value;
}

/**
 * Verifies the token's signature against the issuer's JWKS (through OIDC
 * discovery), its issuer, audience and expiry, and that every claim the
 * provenance is built from is present.
 */
export async function verifyGitHubToken(
  token: string,
  options: { issuer: string; audience: string; fetch: typeof globalThis.fetch; now?: () => Date },
): Promise<TokenClaims> {
  let unverifiedIssuer: string | undefined;
  try {
    unverifiedIssuer = decodeJwt(token).iss;
  } catch {
    // verifyIdToken reports the malformed token with its reason.
  }
  const issuer = acceptedIssuer(unverifiedIssuer, options.issuer);
  if (unverifiedIssuer !== undefined && issuer === undefined) {
    // Refused before any key is fetched: the claimed issuer decides where
    // keys would come from, so it is never followed when it is not expected.
    throw new ProvenantError(
      "TOKEN_INVALID",
      `the ID token's issuer is ${unverifiedIssuer}; expected ${options.issuer} (for another GitHub server, set the attest action's oidc-issuer input, or the CLI's --token-issuer)`,
    );
  }
  return verifyIdToken(token, {
    issuer: issuer ?? options.issuer,
    audience: options.audience,
    fetch: options.fetch,
    ...(options.now ? { now: options.now } : {}),
    requiredClaims: REQUIRED_CLAIMS,
  });
}
