import { ProvenantError } from "@provenant/core";
import * as z from "zod/mini";
import { assertDigest, sha256Digest } from "../manifest/digest.js";
import { MANIFEST_ACCEPT, MEDIA_TYPES } from "../manifest/media-types.js";
import { type ImageIndex, parseIndex, parseJsonBytes } from "../manifest/schemas.js";
import { hostNameOf, isLoopbackHost, registryApiHost } from "../reference/reference.js";
import { parseChallenges } from "./challenge.js";

/** A registry and a repository in it: what every `/v2/<name>/...` route needs. */
export interface Repository {
  registry: string;
  repository: string;
}

export interface Credentials {
  username: string;
  password: string;
  /**
   * docker's `identitytoken` (what `az acr login` and OAuth-based logins
   * store): an OAuth2 refresh token. When present it is traded for an access
   * token with the token service's POST grant instead of sending the password.
   */
  identityToken?: string;
}

/** Looks up credentials for a registry host (`ghcr.io`, `localhost:5000`, `docker.io`). */
export type CredentialSource = (registry: string) => Promise<Credentials | undefined>;

export interface RegistryClientOptions {
  fetch?: typeof globalThis.fetch;
  credentials?: CredentialSource;
  /** Hosts (`host` or `host:port`) that may be spoken to over plain HTTP; loopback always may. */
  insecureRegistries?: readonly string[];
  /** Per request, body included. */
  timeoutMs?: number;
  /** Extra attempts after a 429, a 5xx or a failed connection. */
  retries?: number;
  /** First backoff; doubles each retry unless the registry sends Retry-After. */
  backoffMs?: number;
  maxManifestBytes?: number;
  maxBlobBytes?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface FetchedManifest {
  bytes: Uint8Array;
  digest: string;
  mediaType: string;
  size: number;
  /** The ETag the registry sent, for `If-Match` on the next write. */
  etag?: string;
}

/**
 * `registry/repo:tag` or `registry/repo@digest`, as users write them: a
 * digest always holds a ':' and a tag never can.
 */
export function manifestName(repo: Repository, reference: string): string {
  return `${repo.registry}/${repo.repository}${reference.includes(":") ? "@" : ":"}${reference}`;
}

export type PutManifestResult =
  | { conflict: false; digest: string; /** `OCI-Subject` header: the registry indexed the referrer itself. */ ociSubject?: string }
  | { conflict: true };

type Scope = "pull" | "pull,push";

interface SendOptions {
  scope: Scope;
  headers?: Record<string, string>;
  body?: Uint8Array;
  what: string;
}

/** Distribution's own manifest limit (4 MiB); nothing legitimate is larger. */
const DEFAULT_MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** The blobs Provenant reads are bundles and envelopes, never image layers. */
const DEFAULT_MAX_BLOB_BYTES = 32 * 1024 * 1024;
const MAX_REDIRECTS = 5;

const TokenResponseSchema = z.object({
  token: z.optional(z.string().check(z.minLength(1))),
  access_token: z.optional(z.string().check(z.minLength(1))),
});

const isDigest = (reference: string) => /^sha(256|512):/.test(reference);

/**
 * A client for the OCI distribution API (v1.1): manifests, blobs and the
 * referrers API, with anonymous, Basic and Bearer (token service) auth,
 * retries with backoff, timeouts, size limits, and every manifest and blob
 * checked against its digest. No filesystem: credentials come from a
 * `CredentialSource` the caller builds (see `src/credentials/`).
 */
export class RegistryClient {
  readonly #fetch: typeof globalThis.fetch;
  readonly #credentials: CredentialSource | undefined;
  readonly #insecure: ReadonlySet<string>;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #backoffMs: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly maxManifestBytes: number;
  readonly maxBlobBytes: number;
  /** `registry scope` -> Authorization header value. */
  readonly #authorizations = new Map<string, string>();

  constructor(options: RegistryClientOptions = {}) {
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#credentials = options.credentials;
    this.#insecure = new Set((options.insecureRegistries ?? []).map((host) => host.toLowerCase()));
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#retries = options.retries ?? 3;
    this.#backoffMs = options.backoffMs ?? 500;
    this.#sleep = options.sleep ?? ((ms) => new Promise((done) => setTimeout(done, ms)));
    this.maxManifestBytes = options.maxManifestBytes ?? DEFAULT_MAX_MANIFEST_BYTES;
    this.maxBlobBytes = options.maxBlobBytes ?? DEFAULT_MAX_BLOB_BYTES;
  }

  /** Plain HTTP only for loopback and for hosts the user named as insecure. */
  #plainHttpAllowed(host: string): boolean {
    const lower = host.toLowerCase();
    return isLoopbackHost(lower) || this.#insecure.has(lower) || this.#insecure.has(hostNameOf(lower));
  }

  #baseUrl(registry: string): string {
    const host = registryApiHost(registry);
    return `${this.#plainHttpAllowed(host) ? "http" : "https"}://${host}`;
  }

  /** Fetches a manifest by tag or digest; `undefined` when the registry does not have it. */
  async getManifest(repo: Repository, reference: string): Promise<FetchedManifest | undefined> {
    const what = `manifest ${manifestName(repo, reference)}`;
    const response = await this.#send(repo, "GET", `/v2/${repo.repository}/manifests/${reference}`, {
      scope: "pull",
      headers: { accept: MANIFEST_ACCEPT },
      what,
    });
    if (response.status === 404) {
      await response.body?.cancel();
      return undefined;
    }
    if (!response.ok) throw await failure(response, what);
    const bytes = await readLimited(response, this.maxManifestBytes, what);
    let digest: string;
    if (isDigest(reference)) {
      assertDigest(bytes, reference, what);
      digest = reference;
    } else {
      digest = sha256Digest(bytes);
      const claimed = response.headers.get("docker-content-digest");
      if (claimed?.startsWith("sha256:") && claimed !== digest) {
        throw new ProvenantError("INVALID_DIGEST", `${what}: the registry says its digest is ${claimed}, but the bytes served hash to ${digest}`);
      }
    }
    const parsed = parseJsonBytes(bytes, what) as { mediaType?: unknown };
    const mediaType =
      typeof parsed?.mediaType === "string"
        ? parsed.mediaType
        : (response.headers.get("content-type")?.split(";")[0]?.trim() ?? MEDIA_TYPES.ociManifest);
    const etag = response.headers.get("etag");
    return { bytes, digest, mediaType, size: bytes.length, ...(etag && { etag }) };
  }

  /**
   * Puts a manifest under a tag or its digest. With `ifMatch` the write is
   * conditional; a registry that honours it answers 412 when another writer
   * got there first, reported as `{ conflict: true }`.
   */
  async putManifest(
    repo: Repository,
    reference: string,
    bytes: Uint8Array,
    mediaType: string,
    conditions: { ifMatch?: string; ifNoneMatch?: string } = {},
  ): Promise<PutManifestResult> {
    const what = `pushing manifest ${manifestName(repo, reference)}`;
    if (bytes.length > this.maxManifestBytes) {
      throw new ProvenantError("USAGE", `${what}: ${bytes.length} bytes is over the ${this.maxManifestBytes}-byte manifest limit`);
    }
    const headers: Record<string, string> = { "content-type": mediaType };
    if (conditions.ifMatch) headers["if-match"] = conditions.ifMatch;
    if (conditions.ifNoneMatch) headers["if-none-match"] = conditions.ifNoneMatch;
    const response = await this.#send(repo, "PUT", `/v2/${repo.repository}/manifests/${reference}`, {
      scope: "pull,push",
      headers,
      body: bytes,
      what,
    });
    if (response.status === 412) {
      await response.body?.cancel();
      return { conflict: true };
    }
    if (!response.ok) throw await failure(response, what);
    await response.body?.cancel();
    const digest = sha256Digest(bytes);
    const ociSubject = response.headers.get("oci-subject");
    return { conflict: false, digest, ...(ociSubject && { ociSubject }) };
  }

  async hasBlob(repo: Repository, digest: string): Promise<boolean> {
    const what = `blob ${repo.registry}/${repo.repository}@${digest}`;
    const response = await this.#send(repo, "HEAD", `/v2/${repo.repository}/blobs/${digest}`, { scope: "pull", what });
    await response.body?.cancel();
    if (response.status === 404) return false;
    if (!response.ok) throw await failure(response, what);
    return true;
  }

  /** Fetches a blob (bounded by `maxBytes`) and checks it against its digest. */
  async getBlob(repo: Repository, digest: string, maxBytes = this.maxBlobBytes): Promise<Uint8Array> {
    const what = `blob ${repo.registry}/${repo.repository}@${digest}`;
    const response = await this.#send(repo, "GET", `/v2/${repo.repository}/blobs/${digest}`, { scope: "pull", what });
    if (!response.ok) throw await failure(response, what);
    const bytes = await readLimited(response, maxBytes, what);
    assertDigest(bytes, digest, what);
    return bytes;
  }

  /** Uploads a blob monolithically (POST then PUT) unless the registry already has it. */
  async putBlob(repo: Repository, bytes: Uint8Array): Promise<string> {
    const digest = sha256Digest(bytes);
    if (await this.hasBlob(repo, digest)) return digest;
    const what = `uploading blob ${digest} to ${repo.registry}/${repo.repository}`;
    const started = await this.#send(repo, "POST", `/v2/${repo.repository}/blobs/uploads/`, { scope: "pull,push", what });
    await started.body?.cancel();
    if (started.status !== 202) throw await failure(started, what);
    const location = started.headers.get("location");
    if (!location) throw new ProvenantError("IO_ERROR", `${what}: the registry started an upload but sent no Location header`);
    const uploadUrl = urlFromRegistry(location, `${this.#baseUrl(repo.registry)}/`, `${what}: the upload Location`);
    uploadUrl.searchParams.set("digest", digest);
    const finished = await this.#send(repo, "PUT", uploadUrl.href, {
      scope: "pull,push",
      headers: { "content-type": "application/octet-stream" },
      body: bytes,
      what,
    });
    await finished.body?.cancel();
    if (finished.status !== 201) throw await failure(finished, what);
    return digest;
  }

  /**
   * The referrers API (distribution spec 1.1). `undefined` means the registry
   * has no such API (404), and the caller falls back to the tag schema.
   */
  async getReferrers(repo: Repository, digest: string): Promise<ImageIndex | undefined> {
    const what = `referrers of ${repo.registry}/${repo.repository}@${digest}`;
    let path = `/v2/${repo.repository}/referrers/${digest}`;
    const manifests: ImageIndex["manifests"] = [];
    for (let page = 0; page < 100; page++) {
      const response = await this.#send(repo, "GET", path, { scope: "pull", headers: { accept: MEDIA_TYPES.ociIndex }, what });
      if (response.status === 404 && page === 0) {
        await response.body?.cancel();
        return undefined;
      }
      if (!response.ok) throw await failure(response, what);
      const contentType = response.headers.get("content-type")?.split(";")[0]?.trim();
      // A registry without the API may answer the route with something else entirely.
      if (page === 0 && contentType !== MEDIA_TYPES.ociIndex) {
        await response.body?.cancel();
        return undefined;
      }
      manifests.push(...parseIndex(await readLimited(response, this.maxManifestBytes, what), what).manifests);
      const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(response.headers.get("link") ?? "")?.[1];
      if (!next) break;
      path = urlFromRegistry(next, `${this.#baseUrl(repo.registry)}/`, `${what}: the next-page Link`).href;
    }
    return { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests };
  }

  async #send(repo: Repository, method: string, pathOrUrl: string, options: SendOptions): Promise<Response> {
    const base = this.#baseUrl(repo.registry);
    // Credentials belong to the registry's own origin. A Link or Location header
    // may name any URL; requests there go without them, and their 401s go unanswered.
    const registryOrigin = new URL(base).origin;
    const url = new URL(pathOrUrl, `${base}/`);
    const scope = `repository:${repo.repository}:${options.scope}`;
    const cacheKey = `${repo.registry} ${scope}`;
    let authenticated = false;
    for (let attempt = 0; ; attempt++) {
      const authorization = this.#authorizations.get(cacheKey);
      let answered: { response: Response; url: URL };
      try {
        answered = await this.#fetchFollowing(url, method, options, authorization ? { value: authorization, origin: registryOrigin } : undefined);
      } catch (error) {
        if (isProvenantError(error) || attempt >= this.#retries || isTimeout(error)) {
          throw isProvenantError(error) ? error : connectionError(error, options.what, url, this.#timeoutMs);
        }
        await this.#sleep(this.#backoff(attempt, null));
        continue;
      }
      const { response } = answered;
      if (response.status === 401 && !authenticated && answered.url.origin === registryOrigin) {
        authenticated = true;
        const challenge = response.headers.get("www-authenticate");
        await response.body?.cancel();
        const header = challenge ? await this.#authenticate(repo.registry, challenge, scope, options.what) : undefined;
        if (header === undefined) {
          throw new ProvenantError(
            "IO_ERROR",
            `${options.what}: the registry requires authentication and no credentials were found for ${repo.registry}; set PROVENANT_REGISTRY_USERNAME and PROVENANT_REGISTRY_PASSWORD or log in with docker login`,
          );
        }
        this.#authorizations.set(cacheKey, header);
        attempt--;
        continue;
      }
      if ((response.status === 429 || response.status >= 500) && attempt < this.#retries) {
        const retryAfter = response.headers.get("retry-after");
        await response.body?.cancel();
        await this.#sleep(this.#backoff(attempt, retryAfter));
        continue;
      }
      return response;
    }
  }

  #backoff(attempt: number, retryAfter: string | null): number {
    const seconds = retryAfter !== null ? Number(retryAfter) : Number.NaN;
    // Honour Retry-After, but never let a registry park us for more than a minute.
    if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, 60_000);
    return this.#backoffMs * 2 ** attempt * (0.75 + Math.random() / 2);
  }

  /**
   * Follows redirects by hand so credentials never leave the origin they were
   * meant for: blob downloads commonly redirect to object storage, and a
   * hostile registry could redirect anywhere. The origin is fixed by the
   * caller (the registry's, or the token realm's), never by the first URL,
   * which may itself come from a registry's Link or Location header.
   * Returns the response and the URL that gave it.
   */
  async #fetchFollowing(
    start: URL,
    method: string,
    options: SendOptions,
    authorization: { value: string; origin: string } | undefined,
  ): Promise<{ response: Response; url: URL }> {
    const signal = AbortSignal.timeout(this.#timeoutMs);
    let url = start;
    let body = options.body;
    let requestHeaders = options.headers;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      this.#assertTransportAllowed(url, options.what);
      const headers: Record<string, string> = { ...requestHeaders };
      if (authorization && url.origin === authorization.origin) headers.authorization = authorization.value;
      const response = await this.#fetch(url, {
        method,
        headers,
        ...(body && { body }),
        redirect: "manual",
        signal,
      });
      const location = response.headers.get("location");
      if (![301, 302, 303, 307, 308].includes(response.status) || !location) return { response, url };
      await response.body?.cancel();
      url = urlFromRegistry(location, url, `${options.what}: the redirect Location`);
      // RFC 9110 §15.4.4: 303 means "GET (or HEAD) the other resource", so the
      // body and its headers go. 307/308 keep the method and body (§15.4.8/9),
      // and so do 301/302: §15.4.2/3 only permit turning a POST into a GET,
      // which would lose an upload's body, so that is not done here.
      if (response.status === 303 && method !== "HEAD") {
        method = "GET";
        body = undefined;
        const { "content-type": _type, "if-match": _match, "if-none-match": _none, ...kept } = requestHeaders ?? {};
        requestHeaders = kept;
      }
    }
    throw new ProvenantError("IO_ERROR", `${options.what}: more than ${MAX_REDIRECTS} redirects; last to ${url.origin}`);
  }

  #assertTransportAllowed(url: URL, what: string): void {
    if (url.protocol === "https:") return;
    if (url.protocol === "http:" && this.#plainHttpAllowed(url.host)) return;
    throw new ProvenantError(
      "USAGE",
      `${what}: refusing ${url.protocol}//${url.host}: plain HTTP is used only for loopback or hosts named with --insecure-registry`,
    );
  }

  /** Answers a 401 challenge: Basic with the credentials, or a Bearer token from the token service. */
  async #authenticate(registry: string, header: string, scope: string, what: string): Promise<string | undefined> {
    const challenges = parseChallenges(header);
    const credentials = await this.#credentials?.(registry);
    const bearer = challenges.find((c) => c.scheme === "bearer");
    if (bearer?.params.realm) {
      const realm = urlFromRegistry(bearer.params.realm, undefined, `${what}: the Bearer challenge's realm`);
      // The OAuth2 grant POSTs to the realm as given; the GET below adds its parameters.
      const grantUrl = new URL(realm);
      if (bearer.params.service) realm.searchParams.set("service", bearer.params.service);
      // Ask for the scope this request needs: a challenge from a pull may name less than a push needs.
      realm.searchParams.set("scope", scope);
      const tokenWhat = `${what}: token from ${realm.origin}`;
      if (credentials?.identityToken) {
        return `Bearer ${await this.#refreshTokenGrant(grantUrl, bearer.params.service, scope, credentials.identityToken, tokenWhat)}`;
      }
      const { response } = await this.#fetchFollowing(
        realm,
        "GET",
        { scope: "pull", what: tokenWhat },
        credentials && { value: basic(credentials), origin: realm.origin },
      );
      if (!response.ok) throw await failure(response, tokenWhat);
      const body = TokenResponseSchema.safeParse(parseJsonBytes(await readLimited(response, 1024 * 1024, tokenWhat), tokenWhat));
      const token = body.success ? (body.data.token ?? body.data.access_token) : undefined;
      if (!token) throw new ProvenantError("IO_ERROR", `${tokenWhat}: expected JSON with a "token" or "access_token" string`);
      return `Bearer ${token}`;
    }
    if (challenges.some((c) => c.scheme === "basic") && credentials) {
      if (credentials.identityToken) {
        throw new ProvenantError(
          "IO_ERROR",
          `${what}: the registry asks for Basic auth, but the credentials for ${registry} are an identity token, which only a token service takes; log in with a username and password`,
        );
      }
      return basic(credentials);
    }
    return undefined;
  }

  /**
   * The OAuth2 refresh-token grant of distribution's "OAuth2 Token
   * Authentication" (RFC 6749 §6): a form POST to the realm, answered with
   * `access_token`. The refresh token travels only in the body, to the realm
   * the challenge named; a token service without the POST endpoint answers
   * 404, and then there is nothing else to try (a GET takes no refresh token).
   */
  async #refreshTokenGrant(realm: URL, service: string | undefined, scope: string, refreshToken: string, what: string): Promise<string> {
    const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken, client_id: "provenant", scope });
    if (service) form.set("service", service);
    const { response } = await this.#fetchFollowing(
      realm,
      "POST",
      { scope: "pull", what, headers: { "content-type": "application/x-www-form-urlencoded" }, body: new TextEncoder().encode(form.toString()) },
      undefined,
    );
    if (!response.ok) {
      const refused = await failure(response, what);
      throw response.status === 404
        ? new ProvenantError("IO_ERROR", `${what}: the token service has no OAuth2 POST endpoint, which an identity token needs; log in with a username and password`)
        : refused;
    }
    const body = TokenResponseSchema.safeParse(parseJsonBytes(await readLimited(response, 1024 * 1024, what), what));
    const token = body.success ? (body.data.access_token ?? body.data.token) : undefined;
    if (!token) throw new ProvenantError("IO_ERROR", `${what}: expected JSON with an "access_token" string`);
    return token;
  }
}

function basic(credentials: Credentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`;
}

function isProvenantError(error: unknown): error is ProvenantError {
  return error instanceof ProvenantError;
}

function isTimeout(error: unknown): boolean {
  return (error as Error)?.name === "TimeoutError" || (error as Error)?.name === "AbortError";
}

function connectionError(error: unknown, what: string, url: URL, timeoutMs: number): ProvenantError {
  if (isTimeout(error)) return new ProvenantError("IO_ERROR", `${what}: ${url.host} did not answer within ${timeoutMs / 1000}s`, { cause: error });
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const reason = cause?.code ?? cause?.message ?? (error as Error)?.message ?? String(error);
  return new ProvenantError("IO_ERROR", `${what}: cannot reach ${url.host} (${reason})`, { cause: error });
}

/** Reads a body, refusing (and cancelling) it as soon as it passes `maxBytes`. */
export async function readLimited(response: Response, maxBytes: number, what: string): Promise<Uint8Array> {
  const tooLarge = (size: string) =>
    new ProvenantError("IO_ERROR", `${what}: the registry sent ${size} bytes, over the ${maxBytes}-byte limit`);
  const declared = Number(response.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    throw tooLarge(String(declared));
  }
  if (!response.body) return new Uint8Array();
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) {
        await reader.cancel();
        throw tooLarge(`more than ${maxBytes}`);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof ProvenantError) throw error;
    if (isTimeout(error)) throw new ProvenantError("IO_ERROR", `${what}: timed out while reading the response`, { cause: error });
    throw new ProvenantError("IO_ERROR", `${what}: the connection failed while reading (${(error as Error).message})`, { cause: error });
  }
  return Buffer.concat(chunks);
}

/** Turns an error response into a coded error with the registry's own error codes (distribution spec "Error Codes"). */
async function failure(response: Response, what: string): Promise<ProvenantError> {
  let detail = "";
  try {
    const text = new TextDecoder().decode(await readLimited(response, 16 * 1024, what)).trim();
    const parsed = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    detail = (parsed.errors ?? []).map((e) => [e.code, e.message].filter(Boolean).join(": ")).join("; ");
  } catch {
    // Not the spec's error body; the status says enough.
  }
  const hint =
    response.status === 401 || response.status === 403
      ? " (check the registry credentials and that they may access this repository)"
      : "";
  return new ProvenantError("IO_ERROR", `${what}: the registry answered HTTP ${response.status}${detail ? ` (${detail.slice(0, 300)})` : ""}${hint}`);
}

/** A URL a registry sent (Location, Link, a token realm): unparsable is the registry's fault, a coded error. */
function urlFromRegistry(text: string, base: string | URL | undefined, what: string): URL {
  try {
    return new URL(text, base);
  } catch (cause) {
    throw new ProvenantError("IO_ERROR", `${what} is not a valid URL (${JSON.stringify(text.slice(0, 200))}); expected an absolute or relative http(s) URL`, { cause });
  }
}
