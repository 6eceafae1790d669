import { type ErrorCode, ProvenantError, isProvenantError } from "@provenant/core";
import { type KeyCache, type TokenClaims, verifyIdToken } from "@provenant/oidc";
import { decodeJwt, decodeProtectedHeader } from "jose";
import type { TrustedIssuer } from "./config.js";

/** The asymmetric algorithms @provenant/oidc accepts; anything else is refused before any key is fetched. */
const ASYMMETRIC = /^(RS|PS|ES)(256|384|512)$|^EdDSA$/;

export interface VerifiedJobToken {
  issuer: TrustedIssuer;
  claims: TokenClaims & { jti: string; exp: number };
}

/**
 * Verifies a job's OIDC ID token for the signing service with
 * @provenant/oidc's `verifyIdToken` (discovery + JWKS, signature, iss, aud,
 * exp/nbf with skew, algorithm allow-list) — the adapters' own rules,
 * reused — and turns each way of failing into its own code, so a refusal
 * says exactly what was wrong. The issuer is read from the unverified token
 * only to pick which *configured* issuer to verify against.
 */
export async function verifyJobToken(
  token: string,
  issuers: readonly TrustedIssuer[],
  options: { fetch?: typeof globalThis.fetch; keyCache?: KeyCache; now: () => Date; clockSkewSeconds: number },
): Promise<VerifiedJobToken> {
  if (token.length > 16_384) throw new ProvenantError("TOKEN_INVALID", "the ID token is longer than 16 KiB; expected a platform's ID token");
  let alg: unknown;
  let iss: unknown;
  try {
    alg = decodeProtectedHeader(token).alg;
    iss = decodeJwt(token).iss;
  } catch (cause) {
    throw new ProvenantError("TOKEN_INVALID", "the ID token is not a JWT (three base64url parts with JSON header and claims)", { cause });
  }
  if (typeof alg === "string" && alg.toLowerCase() === "none") {
    throw new ProvenantError("TOKEN_ALG_NONE", "the ID token is unsigned (alg none); expected a token signed by the platform's key");
  }
  if (typeof alg !== "string" || !ASYMMETRIC.test(alg)) {
    // HS256 "signed" with the issuer's public key as the HMAC secret is the classic confusion attack.
    throw new ProvenantError("TOKEN_ALG_NOT_ALLOWED", `the ID token uses alg ${String(alg).slice(0, 20)}; expected an asymmetric signature (RS*, PS*, ES*, EdDSA)`);
  }
  const issuer = issuers.find((i) => i.issuer === iss);
  if (!issuer) {
    throw new ProvenantError(
      "TOKEN_UNTRUSTED_ISSUER",
      `the ID token's issuer ${JSON.stringify(String(iss).slice(0, 200))} is not a trusted issuer of this server; expected one of ${issuers.map((i) => i.issuer).join(", ") || "(none configured)"}`,
    );
  }
  let claims: TokenClaims;
  try {
    claims = await verifyIdToken(token, {
      issuer: issuer.issuer,
      audience: issuer.audiences,
      now: options.now,
      clockToleranceSeconds: options.clockSkewSeconds,
      requiredClaims: ["jti", "exp", "iat"],
      ...(issuer.jwksUri ? { jwksUri: issuer.jwksUri } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.keyCache ? { keyCache: options.keyCache } : {}),
    });
  } catch (error) {
    if (!isProvenantError(error)) throw error;
    throw new ProvenantError(codeOf(error), error.message, { cause: error });
  }
  const nowSeconds = options.now().getTime() / 1000;
  if (typeof claims.iat !== "number" || claims.iat > nowSeconds + options.clockSkewSeconds) {
    throw new ProvenantError("TOKEN_NOT_YET_VALID", "the ID token was issued in the future (iat); expected a token issued before now");
  }
  if (typeof claims.jti !== "string" || claims.jti.length > 256) {
    throw new ProvenantError("TOKEN_INVALID", "the ID token's jti is not a string of at most 256 characters");
  }
  return { issuer, claims: claims as VerifiedJobToken["claims"] };
}

/**
 * The jose error under @provenant/oidc's TOKEN_INVALID decides the refusal's
 * code. Matched by jose's own `code` strings, not `instanceof`: @provenant/oidc
 * may resolve another copy of jose than this package.
 */
function codeOf(error: ProvenantError): ErrorCode {
  const cause = error.cause as { code?: unknown; claim?: unknown } | undefined;
  switch (cause?.code) {
    case "ERR_JWT_EXPIRED":
      return "TOKEN_EXPIRED";
    case "ERR_JWKS_NO_MATCHING_KEY":
      return "TOKEN_UNKNOWN_KID";
    case "ERR_JWT_CLAIM_VALIDATION_FAILED":
      if (cause.claim === "aud") return "TOKEN_AUDIENCE";
      if (cause.claim === "nbf" || cause.claim === "iat") return "TOKEN_NOT_YET_VALID";
      if (cause.claim === "iss") return "TOKEN_UNTRUSTED_ISSUER";
      return error.code;
    default:
      return error.code;
  }
}

/**
 * A fetch that keeps discovery documents and JWKS for `ttlSeconds`, so the
 * service does not fetch them for every request (the "token
 * verification cached by JWKS"). A kid not in the cached JWKS is a refusal
 * until the entry expires; platforms publish new keys well before use.
 */
export function cachingFetch(
  fetcher: typeof globalThis.fetch,
  options: { ttlSeconds: number; clock: () => Date },
): typeof globalThis.fetch {
  const cache = new Map<string, { body: string; status: number; contentType: string; until: number }>();
  return (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const now = options.clock().getTime();
    const hit = cache.get(url);
    if (hit && hit.until > now) return new Response(hit.body, { status: hit.status, headers: { "content-type": hit.contentType } });
    const response = await fetcher(input, init);
    if (!response.ok) return response;
    const body = await response.text();
    if (body.length <= 1_000_000) {
      if (cache.size > 1000) cache.clear();
      cache.set(url, { body, status: response.status, contentType: response.headers.get("content-type") ?? "application/json", until: now + options.ttlSeconds * 1000 });
    }
    return new Response(body, { status: response.status, headers: { "content-type": response.headers.get("content-type") ?? "application/json" } });
  }) as typeof globalThis.fetch;
}
