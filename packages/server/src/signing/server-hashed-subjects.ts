import { createHash } from "node:crypto";
import { ProvenantError } from "@provenant/core";
import { parseImageReference, type RegistryClient } from "@provenant/oci";

/** A subject the server fetched and hashed itself, rather than taking the build's word. */
export interface ServerHashedSubject {
  name: string;
  digest: { sha256: string };
}

/** Resolves `registry/repository@sha256:…` to a subject the server hashed itself. */
export type ImageSubjectFetcher = (reference: string) => Promise<ServerHashedSubject>;

/**
 * The metadata field that lists the subjects the service hashed itself; the
 * other subjects are the build's word. An extension field, as SLSA asks
 * (`<vendor>_<name>`); core reads it to say so in every verification report.
 */
export { SERVICE_HASHED_SUBJECTS_FIELD } from "@provenant/core";

/**
 * Images by digest from the registries the server is configured to trust:
 * the manifest is fetched by its digest (content-addressed), and the client
 * checks that the bytes served hash to it, so the subject's digest is one the
 * server computed. Tags are refused (a tag is the registry's word, and may
 * move). Only configured registries are spoken to: a request cannot make the
 * server fetch from anywhere else.
 */
export function registryImageSubjects(options: { registries: readonly string[]; client: RegistryClient }): ImageSubjectFetcher {
  const allowed = new Set(options.registries.map((host) => host.toLowerCase()));
  return async (reference) => {
    const image = parseImageReference(reference);
    if (!image.digest || image.tag) {
      throw new ProvenantError("USAGE", `image ${reference.slice(0, 300)}: expected REGISTRY/REPOSITORY@sha256:HEX (by digest, without a tag)`);
    }
    if (!allowed.has(image.registry.toLowerCase())) {
      throw new ProvenantError(
        "USAGE",
        `image ${reference.slice(0, 300)}: registry ${image.registry} is not one this server fetches from; it fetches from ${[...allowed].join(", ") || "none (signing.registries is empty)"}`,
      );
    }
    const manifest = await options.client.getManifest({ registry: image.registry, repository: image.repository }, image.digest);
    if (!manifest) throw new ProvenantError("NOT_FOUND", `image ${reference.slice(0, 300)}: the registry has no manifest with that digest`);
    return { name: `${image.registry}/${image.repository}`, digest: { sha256: manifest.digest.slice("sha256:".length) } };
  };
}

/** A file the build names by URL, for the server to fetch and hash itself. */
export interface FileSubjectRequest {
  url: string;
  /** The subject's name; default: the URL's last path segment. */
  name?: string;
}

/** A file subject the server hashed, with where it read it from (credential-free). */
export interface ServerHashedFile extends ServerHashedSubject {
  uri: string;
}

export type FileSubjectFetcher = (file: FileSubjectRequest) => Promise<ServerHashedFile>;

/** Where the server may fetch files from: a URL prefix, and optionally the server's own bearer token for it. */
export interface FileSource {
  /** `https://artifacts.example.com/releases/`: a file's URL must start with it (same origin, path under it). */
  url: string;
  /** The name of an environment variable holding the server's bearer token for this source; sent only there. */
  tokenEnv?: string;
}

export const DEFAULT_FILE_LIMITS = { maxBytes: 1024 * 1024 * 1024, timeoutMs: 120_000 } as const;

/**
 * Files by URL from the sources the server is configured to trust: the
 * server streams each file and hashes it itself, so the subject's digest is
 * one it computed from the bytes the source served. A URL outside every
 * source is refused before any request is made; redirects are refused (they
 * could lead anywhere, credentials included); a file past `maxBytes` or a
 * source slower than `timeoutMs` fails the request, which signs nothing.
 */
export function urlFileSubjects(options: {
  sources: readonly FileSource[];
  fetch?: typeof globalThis.fetch;
  env?: Readonly<Record<string, string | undefined>>;
  maxBytes?: number;
  timeoutMs?: number;
}): FileSubjectFetcher {
  const doFetch = options.fetch ?? globalThis.fetch;
  const maxBytes = options.maxBytes ?? DEFAULT_FILE_LIMITS.maxBytes;
  const timeoutMs = options.timeoutMs ?? DEFAULT_FILE_LIMITS.timeoutMs;
  const sources = options.sources.map((source) => {
    const prefix = new URL(source.url);
    // A directory, always: `…/releases` must not admit `…/releases-of-someone-else/`.
    if (!prefix.pathname.endsWith("/")) prefix.pathname += "/";
    return { ...source, prefix };
  });
  return async (file) => {
    const shown = file.url.slice(0, 300);
    let url: URL;
    try {
      url = new URL(file.url);
    } catch {
      throw new ProvenantError("USAGE", `files: ${shown} is not a URL; expected one under ${describe(sources)}`);
    }
    if (url.username || url.password) {
      throw new ProvenantError("USAGE", `files: ${url.origin}${url.pathname}: a URL with credentials in it; the server uses its own credentials for its sources`);
    }
    // The URL parser has already resolved `.`/`..` segments (percent-encoded ones too), so the path compared is the path fetched.
    const source = sources.find((s) => s.prefix.origin === url.origin && url.pathname.startsWith(s.prefix.pathname));
    if (!source) {
      throw new ProvenantError("USAGE", `files: ${shown} is not under a source this server fetches from; it fetches from ${describe(sources)}`);
    }
    const name = file.name ?? decodeURIComponent(url.pathname.slice(url.pathname.lastIndexOf("/") + 1));
    if (name === "") throw new ProvenantError("USAGE", `files: ${shown} names no file; give a URL ending in the file's name, or a name`);
    const headers: Record<string, string> = {};
    if (source.tokenEnv) {
      const token = options.env?.[source.tokenEnv];
      if (!token) throw new ProvenantError("SOURCE_UNAVAILABLE", `files: the server's token for ${source.url} (${source.tokenEnv}) is not set`);
      headers.authorization = `Bearer ${token}`;
    }
    let response: Response;
    try {
      response = await doFetch(url, { headers, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
    } catch (cause) {
      throw new ProvenantError("SOURCE_UNAVAILABLE", `files: ${url.origin}${url.pathname} could not be fetched: ${(cause as Error).message}`, { cause });
    }
    if (response.status === 404) {
      await response.body?.cancel();
      throw new ProvenantError("NOT_FOUND", `files: ${url.origin}${url.pathname}: the source has no such file`);
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      const redirect = response.status >= 300 && response.status < 400 ? " (redirects are not followed: give the file's own URL)" : "";
      throw new ProvenantError("SOURCE_UNAVAILABLE", `files: ${url.origin}${url.pathname}: the source answered ${response.status}${redirect}`);
    }
    const declared = Number(response.headers.get("content-length"));
    if (Number.isFinite(declared) && declared > maxBytes) {
      await response.body?.cancel();
      throw new ProvenantError("INPUT_TOO_LARGE", `files: ${url.origin}${url.pathname} is ${declared} bytes; the server hashes files of at most ${maxBytes}`);
    }
    const hash = createHash("sha256");
    let size = 0;
    try {
      for await (const chunk of response.body ?? []) {
        size += chunk.byteLength;
        if (size > maxBytes) {
          await response.body?.cancel().catch(() => {});
          throw new ProvenantError("INPUT_TOO_LARGE", `files: ${url.origin}${url.pathname} is over ${maxBytes} bytes; the server hashes files of at most ${maxBytes}`);
        }
        hash.update(chunk);
      }
    } catch (cause) {
      if (cause instanceof ProvenantError) throw cause;
      throw new ProvenantError("SOURCE_UNAVAILABLE", `files: ${url.origin}${url.pathname} could not be read: ${(cause as Error).message}`, { cause });
    }
    // Recorded without query or fragment: a signed URL's query is a credential.
    return { name, digest: { sha256: hash.digest("hex") }, uri: `${url.origin}${url.pathname}` };
  };
}

function describe(sources: readonly { url: string }[]): string {
  return sources.map((s) => s.url).join(", ") || "none (signing.fileSources is empty)";
}
