import { ProvenantError } from "@provenant/core";
import { verifyIdToken } from "@provenant/oidc";
import { z } from "zod";

/** The audience Azure DevOps puts in pipeline OIDC tokens (workload identity federation). */
export const AZURE_TOKEN_AUDIENCE = "api://AzureADTokenExchange";

/** Issuer of an organization's pipeline tokens. */
export function azureTokenIssuer(organizationId: string): string {
  return `https://vstoken.dev.azure.com/${organizationId}`;
}

// Claims Azure DevOps puts in a pipeline's ID token (the Oidctoken - Create
// REST API, api-version 7.1-preview.1): ids may be numbers or strings.
const Id = z.union([z.string().min(1), z.number()]).transform(String);
const PipelineClaimsSchema = z.looseObject({
  org_id: Id,
  prj_id: Id,
  def_id: Id,
  rpo_id: Id.optional(),
  rpo_uri: z.string().min(1),
  rpo_ref: z.string().min(1),
  rpo_ver: z.string().min(1),
  run_id: Id,
  sub: z.string().optional(),
});
export type PipelineClaims = z.infer<typeof PipelineClaimsSchema>;

/** Reads already-verified claims as a pipeline token's; a missing or malformed claim is named. */
export function parsePipelineClaims(claims: Record<string, unknown>): PipelineClaims {
  const parsed = PipelineClaimsSchema.safeParse(claims);
  if (!parsed.success) {
    const field = parsed.error.issues[0]?.path.join(".") ?? "?";
    throw new ProvenantError(
      "PLATFORM_FACTS_MISSING",
      `the pipeline's OIDC token claim ${field} is missing or malformed; expected Azure DevOps' claim set (org_id, prj_id, def_id, rpo_uri, rpo_ref, rpo_ver, run_id)`,
    );
  }
  return parsed.data;
}

const REQUIRED_CLAIMS = ["org_id", "prj_id", "def_id", "rpo_uri", "rpo_ref", "rpo_ver", "run_id"];

// Response body of Oidctoken - Create: `TaskHubOidcToken { oidcToken: string }`.
const TokenResponseSchema = z.object({ oidcToken: z.string().min(1) });

/**
 * Asks the agent's OIDC endpoint (`System.OidcRequestUri`) for the job's ID
 * token: POST with the job access token as bearer, `api-version=7.1-preview.1`,
 * JSON answer `{ "oidcToken": "..." }`.
 */
export async function requestPipelineToken(
  requestUri: string,
  accessToken: string,
  fetcher: typeof globalThis.fetch,
): Promise<string> {
  let url: URL;
  try {
    url = new URL(requestUri);
  } catch (cause) {
    throw new ProvenantError("TOKEN_INVALID", `SYSTEM_OIDCREQUESTURI is not a URL: ${requestUri}`, { cause });
  }
  url.searchParams.set("api-version", "7.1-preview.1");
  let response: Response;
  try {
    response = await fetcher(url, {
      method: "POST",
      headers: { authorization: `Bearer ${accessToken}`, "content-type": "application/json", accept: "application/json" },
      body: "{}",
      redirect: "error",
      signal: AbortSignal.timeout(30_000),
    });
  } catch (cause) {
    throw new ProvenantError("TOKEN_UNAVAILABLE", `cannot request the pipeline's OIDC token from ${url.origin}: ${(cause as Error).message}`, { cause });
  }
  if (!response.ok) {
    throw new ProvenantError(
      "TOKEN_INVALID",
      `the pipeline's OIDC token request to ${url.origin}${url.pathname} answered HTTP ${response.status}; expected 200 (is SYSTEM_ACCESSTOKEN mapped to $(System.AccessToken)?)`,
    );
  }
  const parsed = TokenResponseSchema.safeParse(await response.json().catch(() => undefined));
  if (!parsed.success) {
    throw new ProvenantError("TOKEN_INVALID", `the pipeline's OIDC token response from ${url.origin} has no "oidcToken" string`);
  }
  return parsed.data.oidcToken;
}

/** Verifies the token (signature, issuer, audience, expiry) and returns its pipeline claims. */
export async function verifyPipelineToken(
  token: string,
  options: { issuer: string; audience: string; fetch: typeof globalThis.fetch; now: () => Date },
): Promise<PipelineClaims> {
  const claims = await verifyIdToken(token, { ...options, requiredClaims: REQUIRED_CLAIMS });
  const parsed = PipelineClaimsSchema.safeParse(claims);
  if (!parsed.success) {
    const field = parsed.error.issues[0]?.path.join(".") ?? "?";
    throw new ProvenantError("TOKEN_INVALID", `the pipeline's OIDC token claim ${field} is malformed; expected a non-empty string`);
  }
  return parsed.data;
}
