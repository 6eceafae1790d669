import { ProvenantError } from "@provenant/core";
import { createLocalJWKSet, decodeProtectedHeader, errors, type JSONWebKeySet, jwtVerify } from "jose";
import * as z from "zod/mini";

export interface VerifyTokenOptions {
  /** Expected `iss`, compared exactly; discovery happens under it. */
  issuer: string;
  /** Expected `aud` (one of them). */
  audience: string | readonly string[];
  fetch?: typeof globalThis.fetch;
  /** Skip discovery and read keys here (GitLab's `/oauth/discovery/keys`, say). */
  jwksUri?: string;
  now?: () => Date;
  /** Claims that must be present and non-empty; a missing one is PLATFORM_FACTS_MISSING naming it. */
  requiredClaims?: readonly string[];
  /** Allowed skew for exp/nbf/iat, seconds (default 30). */
  clockToleranceSeconds?: number;
}

export type TokenClaims = Record<string, unknown> & { iss: string; aud: string | string[] };

// Asymmetric algorithms only: an HMAC or `none` token could be minted by
// anyone who knows (or guesses) the "key", so they are never accepted.
const ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];

const DiscoverySchema = z.looseObject({ issuer: z.string(), jwks_uri: z.url() });
const JwksSchema = z.object({ keys: z.array(z.looseObject({ kty: z.string() })).check(z.minLength(1)) });

async function getJson(fetcher: typeof globalThis.fetch, url: string, what: string): Promise<unknown> {
  let response: Response;
  try {
    response = await fetcher(url, { headers: { accept: "application/json" }, redirect: "error", signal: AbortSignal.timeout(15_000) });
  } catch (cause) {
    throw new ProvenantError("TOKEN_INVALID", `cannot fetch the ${what} at ${url}: ${(cause as Error).message}`, { cause });
  }
  if (!response.ok) {
    throw new ProvenantError("TOKEN_INVALID", `the ${what} at ${url} answered HTTP ${response.status}; expected 200`);
  }
  try {
    return await response.json();
  } catch (cause) {
    throw new ProvenantError("TOKEN_INVALID", `the ${what} at ${url} is not JSON`, { cause });
  }
}

/** Reads the issuer's discovery document and returns its JWKS URL. */
export async function discoverJwksUri(issuer: string, fetcher: typeof globalThis.fetch = globalThis.fetch): Promise<string> {
  const url = `${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
  const parsed = DiscoverySchema.safeParse(await getJson(fetcher, url, "OIDC discovery document"));
  if (!parsed.success) {
    throw new ProvenantError("TOKEN_INVALID", `the OIDC discovery document at ${url} has no valid issuer/jwks_uri`);
  }
  if (parsed.data.issuer !== issuer) {
    // OpenID Connect Discovery §4.3: the document's issuer must equal the one asked for.
    throw new ProvenantError(
      "TOKEN_INVALID",
      `the OIDC discovery document at ${url} names issuer ${parsed.data.issuer}; expected ${issuer}`,
    );
  }
  return parsed.data.jwks_uri;
}

function describe(error: unknown, options: VerifyTokenOptions): string {
  if (error instanceof errors.JWTExpired) return "the token has expired";
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "iss") return `the token's issuer is not ${options.issuer}`;
    if (error.claim === "aud") return `the token's audience is not ${[options.audience].flat().join(" or ")}`;
    if (error.claim === "nbf") return "the token is not valid yet (nbf)";
    return `claim ${error.claim} is invalid: ${error.reason}`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return "the token's signature does not verify with the issuer's keys";
  if (error instanceof errors.JWKSNoMatchingKey) return "no key of the issuer's JWKS matches the token (signed by another key?)";
  if (error instanceof errors.JOSEAlgNotAllowed) return "the token's algorithm is not allowed; expected an asymmetric signature";
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return `the token is malformed: ${error.message}`;
  return (error as Error).message;
}

/**
 * Verifies a platform's OIDC ID token: signature against the issuer's JWKS
 * (found through discovery unless `jwksUri` is given), issuer, audience,
 * expiry, and the presence of the claims the adapter relies on. Returns the
 * verified claims. Throws TOKEN_INVALID or PLATFORM_FACTS_MISSING.
 */
export async function verifyIdToken(token: string, options: VerifyTokenOptions): Promise<TokenClaims> {
  const fetcher = options.fetch ?? globalThis.fetch;
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch (cause) {
    throw new ProvenantError("TOKEN_INVALID", "the ID token is not a JWS compact token (three base64url parts)", { cause });
  }
  if (typeof header.alg !== "string" || !ALGORITHMS.includes(header.alg)) {
    throw new ProvenantError(
      "TOKEN_INVALID",
      `the ID token uses alg ${String(header.alg)}; expected an asymmetric algorithm (${ALGORITHMS.join(", ")})`,
    );
  }
  const jwksUri = options.jwksUri ?? (await discoverJwksUri(options.issuer, fetcher));
  const jwks = JwksSchema.safeParse(await getJson(fetcher, jwksUri, "JWKS"));
  if (!jwks.success) throw new ProvenantError("TOKEN_INVALID", `the JWKS at ${jwksUri} holds no keys`);
  let payload: Record<string, unknown>;
  try {
    const result = await jwtVerify(token, createLocalJWKSet(jwks.data as JSONWebKeySet), {
      issuer: options.issuer,
      audience: [options.audience].flat() as string[],
      algorithms: ALGORITHMS,
      clockTolerance: options.clockToleranceSeconds ?? 30,
      ...(options.now ? { currentDate: options.now() } : {}),
      requiredClaims: ["exp"],
    });
    payload = result.payload as Record<string, unknown>;
  } catch (cause) {
    throw new ProvenantError("TOKEN_INVALID", `ID token from ${options.issuer} rejected: ${describe(cause, options)}`, { cause });
  }
  for (const claim of options.requiredClaims ?? []) {
    const value = payload[claim];
    if (value === undefined || value === null || value === "") {
      throw new ProvenantError(
        "PLATFORM_FACTS_MISSING",
        `the ID token from ${options.issuer} has no "${claim}" claim; expected it (is the token from this platform?)`,
      );
    }
  }
  return payload as TokenClaims;
}
