import { ProvenantError } from "@provenant/core";

export const GITHUB_COM = "https://github.com";
export const GITHUB_COM_ISSUER = "https://token.actions.githubusercontent.com";

/**
 * `GITHUB_SERVER_URL` as the provenance records it: an http(s) origin, no
 * trailing slash. GitHub sets it on every runner; github.com is the default
 * as in @actions/attest.
 */
export function serverUrlOf(value: string | undefined): string {
  const raw = value && value.trim() !== "" ? value.trim() : GITHUB_COM;
  let url: URL;
  try {
    url = new URL(raw);
  } catch (cause) {
    throw new ProvenantError("PLATFORM_FACTS_MISSING", `GITHUB_SERVER_URL is ${JSON.stringify(raw)}; expected a URL like ${GITHUB_COM}`, { cause });
  }
  if ((url.protocol !== "https:" && url.protocol !== "http:") || url.username || url.password || url.search || url.hash) {
    throw new ProvenantError("PLATFORM_FACTS_MISSING", `GITHUB_SERVER_URL is ${JSON.stringify(raw)}; expected an https origin like ${GITHUB_COM}`);
  }
  return raw.replace(/\/+$/, "");
}

/**
 * The OIDC issuer of a GitHub server's Actions tokens:
 * - github.com: token.actions.githubusercontent.com;
 * - GHE.com tenants (`<tenant>.ghe.com`): token.actions.<tenant>.ghe.com;
 * - GitHub Enterprise Server: `<server>/_services/token` (GHES OIDC docs).
 */
export function issuerFor(serverUrl: string): string {
  const host = new URL(serverUrl).hostname;
  if (host === "github.com") return GITHUB_COM_ISSUER;
  if (/^[a-z0-9-]+\.ghe\.com$/.test(host)) return `https://token.actions.${host}`;
  return `${serverUrl}/_services/token`;
}

/** The REST API root of a GitHub server, when `GITHUB_API_URL` is not set. */
export function apiUrlFor(serverUrl: string): string {
  const host = new URL(serverUrl).hostname;
  if (host === "github.com") return "https://api.github.com";
  if (/^[a-z0-9-]+\.ghe\.com$/.test(host)) return `https://api.${host}`;
  return `${serverUrl}/api/v3`;
}

/**
 * Enterprises with a customized issuer get tokens whose `iss` carries their
 * slug (`https://token.actions.githubusercontent.com/<enterprise>`), with
 * discovery under that URL. Such an issuer is accepted when it sits under the
 * expected one; the path boundary keeps `…githubusercontent.com.evil` out.
 */
export function acceptedIssuer(tokenIssuer: string | undefined, expected: string): string | undefined {
  if (!tokenIssuer) return undefined;
  if (tokenIssuer === expected) return expected;
  const base = expected.replace(/\/+$/, "");
  return tokenIssuer.startsWith(`${base}/`) && !tokenIssuer.slice(base.length).includes("..") ? tokenIssuer : undefined;
}
