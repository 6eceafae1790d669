import { type Bundle, type Envelope, ProvenantError, type ProvenanceFields, type ProvenanceStatement, type Signer, attest, parseDigestReference } from "@provenant/core";
import type { KeyCache } from "@provenant/oidc";
import { DEFAULT_LIMITS, matchesPattern, type SigningConfig, type TrustedIssuer } from "./config.js";
import { enrichAzure } from "./from-azure.js";
import { verifyJobToken } from "./job-token.js";
import { provenanceFromClaims, type ServiceIdentity } from "./provenance-from-claims.js";
import { type RateLimiter, windowRateLimiter } from "./rate-limit.js";
import { memoryReplayStore, type ReplayStore } from "./replay.js";
import {
  type FileSubjectFetcher,
  type FileSubjectRequest,
  type ImageSubjectFetcher,
  SERVICE_HASHED_SUBJECTS_FIELD,
  type ServerHashedSubject,
} from "./server-hashed-subjects.js";

export interface SigningDeps {
  config: SigningConfig;
  signer: Signer;
  clock: () => Date;
  /** Remembers token ids until they expire; one store for every request (see `signingDepsWithDefaults`). */
  replay: ReplayStore;
  rateLimiter: RateLimiter;
  /** Fetches discovery documents and JWKS, and platform APIs (Azure enrichment). */
  fetch?: typeof globalThis.fetch;
  /** Keeps each issuer's keys between requests, fetching again for an unknown key id (`createKeyCache`). */
  keyCache?: KeyCache;
  /** Where the server's own platform credentials are read (Azure `enrichment.credentialEnv`); `provenant server` passes its environment. */
  environment?: Readonly<Record<string, string | undefined>>;
  /** Hashes images by digest from the configured registries (`registryImageSubjects`); absent: `images` are refused. */
  images?: ImageSubjectFetcher;
  /** Hashes files by URL from the configured sources (`urlFileSubjects`); absent: `files` are refused. */
  files?: FileSubjectFetcher;
}

export interface ProvenanceRequest {
  /** The job's OIDC ID token, requested with this server's audience. */
  token: string;
  /** The build's word (as with every SLSA generator): names and sha256 digests. */
  subjects: unknown;
  /**
   * Images by digest (`registry/repository@sha256:…`) the server fetches from
   * its configured registries and hashes itself; they become subjects, and
   * the provenance lists them under `provenant_subjectsHashedByService`.
   */
  images?: unknown;
  /**
   * Files by URL (`"https://…/app.tgz"` or `{ url, name }`) from the server's
   * configured file sources: fetched and hashed by the server, listed with
   * their URL under `provenant_subjectsHashedByService`.
   */
  files?: unknown;
}

export interface SignedProvenance {
  bundle: Bundle;
  /** The signed envelope and the statement in it, as built here (the vault stores them without parsing them back). */
  envelope: Envelope;
  statement: ProvenanceStatement;
  provenance: ProvenanceFields;
  issuer: string;
  identity: ServiceIdentity;
  /** The verified claims (the route records `sub` as who uploaded). */
  claims: Record<string, unknown>;
  subjects: { name: string; digest: { sha256: string } }[];
}

/** Fills in an in-memory replay store and the configured rate limiter; call once, share across requests. */
export function signingDepsWithDefaults(deps: Omit<SigningDeps, "replay" | "rateLimiter"> & Partial<Pick<SigningDeps, "replay" | "rateLimiter">>): SigningDeps {
  const limits = { ...DEFAULT_LIMITS, ...deps.config.limits };
  return {
    ...deps,
    replay: deps.replay ?? memoryReplayStore(deps.clock),
    rateLimiter: deps.rateLimiter ?? windowRateLimiter({ limit: limits.ratePerWindow, windowSeconds: limits.rateWindowSeconds, clock: deps.clock }),
  };
}

/**
 * The signing service's one operation: verify the job's token against the
 * configured issuers, check which repository and builder it may sign for,
 * build the provenance from the claims alone, and sign it with the
 * service's key. Every refusal is a ProvenantError with its own code and
 * happens before anything is signed; the caller stores only what returns.
 */
export async function signProvenance(request: ProvenanceRequest, deps: SigningDeps): Promise<SignedProvenance> {
  const limits = { ...DEFAULT_LIMITS, ...deps.config.limits };
  // Cheap checks first: an oversized body costs no token verification.
  const images = parseImages(request.images, limits.maxSubjects);
  const files = parseFiles(request.files, limits, images.length);
  const fetchedCount = images.length + files.length;
  const subjects = parseSubjects(request.subjects, limits, fetchedCount > 0, fetchedCount);
  if (typeof request.token !== "string" || request.token === "") {
    throw new ProvenantError("UNAUTHENTICATED", "no ID token; send the job's OIDC ID token requested with this server's audience");
  }
  const { issuer, claims } = await verifyJobToken(request.token, deps.config.trustedIssuers, {
    now: deps.clock,
    clockSkewSeconds: limits.clockSkewSeconds,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    ...(deps.keyCache ? { keyCache: deps.keyCache } : {}),
  });
  let built = provenanceFromClaims(issuer, claims);
  requireAllowed(issuer, built.identity);
  if (!deps.rateLimiter.take(`${issuer.issuer}\n${built.identity.repository}`)) {
    throw new ProvenantError("RATE_LIMITED", `too many provenance requests for ${built.identity.repository}; at most ${limits.ratePerWindow} per ${limits.rateWindowSeconds} s`);
  }
  // Azure: the agent pools from the platform's API with the server's own credential, when configured.
  built = await enrichAzure(issuer, claims, built, { env: deps.environment ?? {}, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
  // After the token is verified (no anonymous caller makes the server fetch), before the replay check
  // (a registry that fails does not use up the token).
  const hashed: ServerHashedSubject[] = [];
  if (images.length > 0) {
    const fetchImage = deps.images;
    if (!fetchImage) throw new ProvenantError("USAGE", "images: this server hashes no images (no signing.registries configured); send them as subjects");
    hashed.push(...(await Promise.all(images.map((image) => fetchImage(image)))));
  }
  if (files.length > 0) {
    const fetchFile = deps.files;
    if (!fetchFile) throw new ProvenantError("USAGE", "files: this server fetches no files (no signing.fileSources configured); send them as subjects");
    // One at a time: each may be large, and the server's bandwidth is shared by every job.
    for (const file of files) hashed.push(await fetchFile(file));
  }
  if (hashed.length > 0) {
    const metadata = { ...built.provenance.runDetails.metadata, [SERVICE_HASHED_SUBJECTS_FIELD]: hashed };
    built.provenance = { ...built.provenance, runDetails: { ...built.provenance.runDetails, metadata } };
  }
  // Last, so a refused request does not use up the job's token.
  if (!(await deps.replay.remember(`${issuer.issuer}\n${claims.jti}`, claims.exp + limits.clockSkewSeconds))) {
    throw new ProvenantError("TOKEN_REPLAYED", "this ID token (jti) was already used for a provenance request; request a new token for each request");
  }
  const all = [...subjects, ...hashed.map((h) => ({ name: h.name, digest: { sha256: h.digest.sha256 } }))];
  const { bundle, envelope, statement } = await attest(all, built.provenance, deps.signer);
  return { bundle, envelope, statement, provenance: built.provenance, issuer: issuer.issuer, identity: built.identity, claims, subjects: all };
}

function requireAllowed(issuer: TrustedIssuer, identity: ServiceIdentity): void {
  if (!issuer.repositories.some((pattern) => matchesPattern(pattern, identity.repository))) {
    throw new ProvenantError(
      "REPOSITORY_NOT_ALLOWED",
      `issuer ${issuer.issuer} may not sign for repository ${identity.repository}; it may for ${issuer.repositories.join(", ")}`,
    );
  }
  if (issuer.builders && !(identity.builder && issuer.builders.some((pattern) => matchesBuilder(pattern, identity.builder!)))) {
    throw new ProvenantError(
      "BUILDER_NOT_ALLOWED",
      `the builder ${identity.builder ?? "(not in the token)"} is not one pinned for ${issuer.issuer}; expected ${issuer.builders.join(", ")}`,
    );
  }
  if (issuer.builderShas && !(identity.builderSha && issuer.builderShas.includes(identity.builderSha))) {
    throw new ProvenantError(
      "BUILDER_NOT_ALLOWED",
      `the builder commit ${identity.builderSha ?? "(not in the token)"} is not one pinned for ${issuer.issuer}`,
    );
  }
}

/** `path@ref`: the path by segment patterns, the ref exactly (a ref pattern would let any branch build). */
function matchesBuilder(pattern: string, builder: string): boolean {
  const [wantPath, wantRef] = splitAt(pattern);
  const [path, ref] = splitAt(builder);
  return matchesPattern(wantPath, path) && (wantRef === undefined || wantRef === ref);
}

function splitAt(text: string): [string, string | undefined] {
  const at = text.indexOf("@");
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

/** At most this many images a request: each is a registry round trip made while the job waits. */
const MAX_IMAGES = 16;

function parseImages(value: unknown, maxSubjects: number): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new ProvenantError("USAGE", "images: expected a list of REGISTRY/REPOSITORY@sha256:HEX");
  const max = Math.min(MAX_IMAGES, maxSubjects);
  if (value.length > max) throw new ProvenantError("TOO_MANY_SUBJECTS", `images: ${value.length} given; at most ${max} per request`);
  return value.map((image, i) => {
    if (typeof image !== "string" || image === "" || image.length > 512) {
      throw new ProvenantError("USAGE", `images[${i}]: expected REGISTRY/REPOSITORY@sha256:HEX of at most 512 characters`);
    }
    return image;
  });
}

/** At most this many files a request: each is a download the job waits for. */
const MAX_FILES = 16;

function parseFiles(value: unknown, limits: { maxSubjects: number; maxSubjectNameLength: number }, alsoCounted: number): FileSubjectRequest[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new ProvenantError("USAGE", 'files: expected a list of URLs or { "url": URL, "name": NAME }');
  const max = Math.min(MAX_FILES, limits.maxSubjects - alsoCounted);
  if (value.length > max) throw new ProvenantError("TOO_MANY_SUBJECTS", `files: ${value.length} given; at most ${max} per request`);
  return value.map((entry, i) => {
    const url = typeof entry === "string" ? entry : (entry as { url?: unknown } | null)?.url;
    const name = typeof entry === "string" ? undefined : (entry as { name?: unknown } | null)?.name;
    if (typeof url !== "string" || url === "" || url.length > 2048) {
      throw new ProvenantError("USAGE", `files[${i}]: expected an https URL of at most 2048 characters (or { url, name })`);
    }
    if (name !== undefined && (typeof name !== "string" || name === "" || name.length > limits.maxSubjectNameLength)) {
      throw new ProvenantError("USAGE", `files[${i}].name: expected a non-empty string of at most ${limits.maxSubjectNameLength} characters`);
    }
    return { url, ...(name !== undefined ? { name } : {}) };
  });
}

function parseSubjects(
  value: unknown,
  limits: { maxSubjects: number; maxSubjectNameLength: number },
  mayBeEmpty = false,
  alsoCounted = 0,
): SignedProvenance["subjects"] {
  if (mayBeEmpty && (value === undefined || (Array.isArray(value) && value.length === 0))) return [];
  if (!Array.isArray(value) || value.length === 0) {
    throw new ProvenantError("EMPTY_SUBJECTS", "subjects: expected a non-empty list of { name, digest: { sha256 } } (or images or files to hash)");
  }
  if (value.length + alsoCounted > limits.maxSubjects) {
    throw new ProvenantError("TOO_MANY_SUBJECTS", `subjects: ${value.length + alsoCounted} given; at most ${limits.maxSubjects} per request`);
  }
  return value.map((entry, i) => {
    const name = (entry as { name?: unknown })?.name;
    const sha256 = (entry as { digest?: { sha256?: unknown } })?.digest?.sha256;
    if (typeof name !== "string" || name === "" || name.length > limits.maxSubjectNameLength) {
      throw new ProvenantError("USAGE", `subjects[${i}].name: expected a non-empty string of at most ${limits.maxSubjectNameLength} characters`);
    }
    if (typeof sha256 !== "string" || !parseDigestReference(`sha256:${sha256}`)) {
      throw new ProvenantError("INVALID_DIGEST", `subjects[${i}].digest.sha256: expected 64 lowercase hex characters`);
    }
    const digest = (entry as { digest: Record<string, unknown> }).digest;
    if (Object.keys(digest).length !== 1) {
      throw new ProvenantError("INVALID_DIGEST", `subjects[${i}].digest: expected only sha256`);
    }
    return { name, digest: { sha256 } };
  });
}
