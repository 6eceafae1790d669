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
  /**
   * Issuers whose JWKS may live on another origin than the issuer's own (an
   * explicit allow-list; empty by default). GitHub
   * (token.actions.githubusercontent.com/.well-known/jwks), GitLab
   * (<instance>/oauth/discovery/keys), Azure DevOps
   * (vstoken.dev.azure.com/.well-known/jwks) and Jenkins' oidc-provider
   * (<controller>/oidc/jwks) all serve their keys on the issuer's own origin,
   * so none of them needs to be listed.
   */
  crossOriginJwksIssuers?: readonly string[];
  /**
   * Keeps each issuer's JWKS (and its discovery answer) between
   * verifications, and fetches it again at once for a token naming a key id
   * it does not hold (`createKeyCache`). Without it every verification
   * fetches through `fetch`.
   */
  keyCache?: KeyCache;
}

export type TokenClaims = Record<string, unknown> & { iss: string; aud: string | string[] };

// Asymmetric algorithms only: an HMAC or `none` token could be minted by
// anyone who knows (or guesses) the "key", so they are never accepted.
const ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];

const DiscoverySchema = z.looseObject({ issuer: z.string(), jwks_uri: z.url() });

function isLoopback(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/**
 * Issuers and JWKS are fetched over https only (plain http lets anyone on the
 * path swap the keys), except on loopback addresses, where tests and local
 * issuers run. `data:`, `file:` and other schemes are refused.
 */
export function requireSecureUrl(text: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch (cause) {
    throw new ProvenantError("TOKEN_INVALID", `${what} ${text} is not a URL; expected https://…`, { cause });
  }
  if (url.protocol === "https:" || (url.protocol === "http:" && isLoopback(url))) return url;
  throw new ProvenantError(
    "TOKEN_INVALID",
    `${what} ${url.protocol === "data:" ? "is a data: URL" : text}; expected an https:// URL (plain http only on a loopback address)`,
  );
}

/**
 * The JWKS must be on the issuer's own origin: a discovery document naming
 * keys elsewhere would let whoever holds that other host mint tokens for the
 * issuer. Issuers on the explicit allow-list are exempt.
 */
export function requireJwksOrigin(issuer: string, jwksUri: string, allowList: readonly string[] = []): void {
  const issuerUrl = requireSecureUrl(issuer, "the issuer");
  const jwksUrl = requireSecureUrl(jwksUri, `the JWKS of ${issuer}`);
  if (jwksUrl.origin === issuerUrl.origin || allowList.includes(issuer)) return;
  throw new ProvenantError(
    "TOKEN_INVALID",
    `the JWKS of ${issuer} is at ${jwksUrl.origin}, not on the issuer's own origin ${issuerUrl.origin}; expected keys served by the issuer (or the issuer on the cross-origin allow-list)`,
  );
}
const JwksSchema = z.object({ keys: z.array(z.looseObject({ kty: z.string() })).check(z.minLength(1)) });

async function getJson(fetcher: typeof globalThis.fetch, url: string, what: string): Promise<unknown> {
  let response: Response;
  try {
    response = await fetcher(url, { headers: { accept: "application/json" }, redirect: "error", signal: AbortSignal.timeout(15_000) });
  } catch (cause) {
    throw new ProvenantError("TOKEN_UNAVAILABLE", `cannot fetch the ${what} at ${url}: ${(cause as Error).message}`, { cause });
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

/**
 * Key sets by JWKS URL, each with the JWKS text it was built from. jose's
 * createLocalJWKSet imports each JWK once and keeps the KeyObject, so reusing
 * the set skips re-importing the issuer's keys on every verification (it was
 * a measurable share of the signing service's per-request cost). The set is
 * rebuilt whenever the fetched JWKS differs from the one it was built from,
 * so a rotation (new keys, removed keys) takes effect on the next fetch.
 * Bounded: cleared when it holds more than MAX_CACHED_KEY_SETS URLs.
 */
const keySets = new Map<string, { text: string; keySet: ReturnType<typeof createLocalJWKSet> }>();
const MAX_CACHED_KEY_SETS = 256;

function keySetFor(jwksUri: string, jwks: JSONWebKeySet): ReturnType<typeof createLocalJWKSet> {
  const text = JSON.stringify(jwks);
  const hit = keySets.get(jwksUri);
  if (hit && hit.text === text) return hit.keySet;
  if (keySets.size >= MAX_CACHED_KEY_SETS) keySets.clear();
  // createLocalJWKSet copies the document, so later changes to `jwks` cannot leak in.
  const keySet = createLocalJWKSet(jwks);
  keySets.set(jwksUri, { text, keySet });
  return keySet;
}

/** Reads the issuer's discovery document and returns its JWKS URL. */
export async function discoverJwksUri(issuer: string, fetcher: typeof globalThis.fetch = globalThis.fetch): Promise<string> {
  requireSecureUrl(issuer, "the issuer");
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

async function verifyWithAnyOf(
  token: string,
  candidates: errors.JWKSMultipleMatchingKeys,
  verifyOptions: Parameters<typeof jwtVerify>[2],
): Promise<Record<string, unknown>> {
  let last: unknown = new errors.JWSSignatureVerificationFailed();
  for await (const key of candidates as unknown as AsyncIterable<Parameters<typeof jwtVerify>[1]>) {
    try {
      return (await jwtVerify(token, key as never, verifyOptions)).payload as Record<string, unknown>;
    } catch (error) {
      last = error;
    }
  }
  throw last;
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

/** An issuer's verification keys as fetched once: the key set jose verifies with, and the key ids it holds. */
interface IssuerKeys {
  keySet: ReturnType<typeof createLocalJWKSet>;
  kids: ReadonlySet<string>;
}

/** Discovery (unless the JWKS URL is given), the same-origin rule, then the JWKS itself. */
async function fetchIssuerKeys(
  options: Pick<VerifyTokenOptions, "issuer" | "jwksUri" | "crossOriginJwksIssuers">,
  fetcher: typeof globalThis.fetch,
): Promise<IssuerKeys> {
  requireSecureUrl(options.issuer, "the issuer");
  const jwksUri = options.jwksUri ?? (await discoverJwksUri(options.issuer, fetcher));
  requireJwksOrigin(options.issuer, jwksUri, options.crossOriginJwksIssuers);
  const jwks = JwksSchema.safeParse(await getJson(fetcher, jwksUri, "JWKS"));
  if (!jwks.success) throw new ProvenantError("TOKEN_INVALID", `the JWKS at ${jwksUri} holds no keys`);
  const kids = new Set(jwks.data.keys.map((k) => k.kid).filter((kid): kid is string => typeof kid === "string"));
  return { keySet: keySetFor(jwksUri, jwks.data as JSONWebKeySet), kids };
}

/** Issuer keys kept between verifications; see `createKeyCache`. */
export interface KeyCache {
  keysFor(
    options: Pick<VerifyTokenOptions, "issuer" | "jwksUri" | "crossOriginJwksIssuers">,
    fetcher: typeof globalThis.fetch,
    kid: string | undefined,
  ): Promise<IssuerKeys>;
}

/**
 * Keeps each issuer's keys for `ttlSeconds` (default 300), so a busy
 * verifier (the signing service) neither fetches nor parses the JWKS per
 * token. A token naming a key id the kept set lacks triggers one fetch right
 * away, so a rotated-in key is accepted without waiting out the TTL; at most
 * one such fetch per issuer every `refetchAfterSeconds` (default 30), so a
 * flood of tokens with made-up key ids cannot make the verifier hammer the
 * issuer. Concurrent verifications share one fetch. A failed fetch is not kept.
 */
export function createKeyCache(options: { ttlSeconds?: number; refetchAfterSeconds?: number; clock?: () => Date } = {}): KeyCache {
  const ttlMs = (options.ttlSeconds ?? 300) * 1000;
  const refetchAfterMs = (options.refetchAfterSeconds ?? 30) * 1000;
  const clock = options.clock ?? (() => new Date());
  const entries = new Map<string, { keys: Promise<IssuerKeys>; fetchedAt: number }>();
  // When each issuer's keys were last fetched because of an unknown key id: the flood guard.
  const missFetches = new Map<string, number>();
  const fetchInto = (key: string, fetching: Promise<IssuerKeys>, now: number) => {
    const entry = { keys: fetching, fetchedAt: now };
    if (entries.size >= MAX_CACHED_KEY_SETS) {
      entries.clear();
      missFetches.clear();
    }
    entries.set(key, entry);
    fetching.catch(() => {
      if (entries.get(key) === entry) entries.delete(key);
    });
    return fetching;
  };
  return {
    async keysFor(issuerOptions, fetcher, kid) {
      const key = `${issuerOptions.issuer}\n${issuerOptions.jwksUri ?? ""}`;
      const now = clock().getTime();
      const entry = entries.get(key);
      if (!entry || now - entry.fetchedAt >= ttlMs) return fetchInto(key, fetchIssuerKeys(issuerOptions, fetcher), now);
      const keys = await entry.keys;
      if (kid === undefined || keys.kids.has(kid) || entries.get(key) !== entry) return keys;
      const lastMiss = missFetches.get(key);
      if (lastMiss !== undefined && now - lastMiss < refetchAfterMs) return keys;
      // A key id the kept set lacks: the issuer may have rotated a new key in. Fetch once, now.
      missFetches.set(key, now);
      return fetchInto(key, fetchIssuerKeys(issuerOptions, fetcher), now);
    },
  };
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
  const keys = options.keyCache
    ? await options.keyCache.keysFor(options, fetcher, typeof header.kid === "string" ? header.kid : undefined)
    : await fetchIssuerKeys(options, fetcher);
  const verifyOptions = {
    issuer: options.issuer,
    audience: [options.audience].flat() as string[],
    algorithms: ALGORITHMS,
    clockTolerance: options.clockToleranceSeconds ?? 30,
    ...(options.now ? { currentDate: options.now() } : {}),
    requiredClaims: ["exp"],
  };
  let payload: Record<string, unknown>;
  try {
    try {
      payload = (await jwtVerify(token, keys.keySet, verifyOptions)).payload as Record<string, unknown>;
    } catch (error) {
      // A JWKS may hold two keys under one kid (during a rotation, or by
      // mistake). Deliberately, each matching key is tried and the token is
      // accepted when one of them verifies it; jose leaves that to the caller.
      if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw error;
      payload = await verifyWithAnyOf(token, error, verifyOptions);
    }
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
