import { type ErrorCode, ProvenantError } from "@provenant/core";
import { printable } from "@provenant/core";

/** Where the vault's API is and how to authenticate to it. */
export interface VaultClientOptions {
  server: string;
  /** Bearer token (API token or CI OIDC token); never printed. */
  token?: string;
  fetch?: typeof globalThis.fetch;
}

/** The server URL without credentials, query or fragment; refuses anything but http(s). */
export function vaultBaseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ProvenantError("USAGE", `--server ${text}: expected a URL such as http://127.0.0.1:8080`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ProvenantError("USAGE", `--server: expected an http:// or https:// URL, not ${url.protocol}`);
  }
  if (url.username || url.password) {
    // A token in the URL would end up in shell history and proxy logs.
    throw new ProvenantError("USAGE", "--server must not carry credentials; put the token in PROVENANT_TOKEN");
  }
  url.search = "";
  url.hash = "";
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  return url;
}

function displayUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/**
 * One request to the vault. A problem+json answer becomes a ProvenantError
 * with the server's code (the codes are shared with the CLI); anything else
 * that is not 2xx becomes IO_ERROR naming the status.
 */
export async function vaultRequest(
  options: VaultClientOptions,
  path: string,
  init: { method?: string; body?: string; contentType?: string; accept?: string } = {},
): Promise<Response> {
  const url = new URL(path.replace(/^\//, ""), vaultBaseUrl(options.server));
  const headers: Record<string, string> = { accept: init.accept ?? "application/json" };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (init.contentType) headers["content-type"] = init.contentType;
  let response: Response;
  try {
    response = await (options.fetch ?? globalThis.fetch)(url, { method: init.method ?? "GET", headers, body: init.body, redirect: "error" });
  } catch (cause) {
    throw new ProvenantError("IO_ERROR", `cannot reach the vault at ${displayUrl(url)}: ${(cause as Error).message}`, { cause });
  }
  if (response.ok) return response;
  const type = response.headers.get("content-type") ?? "";
  if (type.startsWith("application/problem+json")) {
    const body = (await response.json().catch(() => ({}))) as { code?: unknown; detail?: unknown };
    const code = typeof body.code === "string" && /^[A-Z_]{2,40}$/.test(body.code) ? (body.code as ErrorCode) : "IO_ERROR";
    // The server is not trusted to write to the terminal: escape control characters.
    const detail = typeof body.detail === "string" ? printable(body.detail.slice(0, 2000)) : `HTTP ${response.status}`;
    throw new ProvenantError(code, `the vault refused ${init.method ?? "GET"} ${url.pathname}: ${detail}`);
  }
  if (response.status === 404) return response;
  throw new ProvenantError("IO_ERROR", `the vault answered HTTP ${response.status} to ${init.method ?? "GET"} ${url.pathname}`);
}

export async function vaultJson<T>(options: VaultClientOptions, path: string, init?: Parameters<typeof vaultRequest>[2]): Promise<T> {
  const response = await vaultRequest(options, path, init);
  if (response.status === 404) throw new ProvenantError("NOT_FOUND", `the vault has nothing at ${path}`);
  try {
    return (await response.json()) as T;
  } catch (cause) {
    throw new ProvenantError("MALFORMED_JSON", `the vault's answer to ${path} is not JSON`, { cause });
  }
}

export interface VaultAttestation {
  logIndex: number;
  bundle: unknown;
  subjects: { name: string; digest: Record<string, string> }[];
  predicateType: string;
  project: string;
  source?: { repository: string; ref?: string; commit?: string };
  builderId?: string;
  slsaLevel: number;
  integratedTime: string;
}

/** Every attestation for a digest, following cursors up to `max`. */
export async function attestationsByDigest(options: VaultClientOptions, digest: string, max = 1000): Promise<VaultAttestation[]> {
  const items: VaultAttestation[] = [];
  let cursor: string | undefined;
  do {
    const query = new URLSearchParams({ digest, ...(cursor ? { cursor } : {}) });
    const page = await vaultJson<{ items: VaultAttestation[]; nextCursor?: string }>(options, `v1/attestations?${query}`);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && items.length < max);
  return items.slice(0, max);
}

export async function uploadDocument(options: VaultClientOptions, body: string, contentType: string): Promise<{ created: boolean; logIndex: number; bundle: unknown }[]> {
  const answer = await vaultJson<{ results: { created: boolean; logIndex: number; bundle: unknown }[] }>(options, "v1/attestations", {
    method: "POST",
    body,
    contentType,
  });
  return answer.results;
}
