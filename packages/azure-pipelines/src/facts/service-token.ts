import { type Environment, ProvenantError } from "@provenant/core";
import { oidcRequestUriProblem, servicesCollectionOf } from "./services-url.js";
import { AZURE_TOKEN_AUDIENCE, requestPipelineToken } from "./token.js";
import { normalizeCollectionUri, readPipelineVariables } from "./variables.js";

/**
 * The job's OIDC ID token for a Provenant signing service (`attest --server`,
 * `ProvenantAttest@1` with `serverUrl`). Azure DevOps' Oidctoken - Create
 * takes no audience: every pipeline token says `api://AzureADTokenExchange`,
 * so the server's trusted issuer must list that audience. Unlike the local
 * path, nothing here falls back: without a token there is no provenance.
 * The access token goes only to the job's own organization on an Azure
 * DevOps Services host (see services-url.ts), whatever a step wrote into
 * the variables.
 */
export async function requestServiceToken(env: Environment, fetcher: typeof globalThis.fetch): Promise<string> {
  const variables = readPipelineVariables(env);
  if (!variables.oidcRequestUri) {
    throw new ProvenantError(
      "PLATFORM_FACTS_MISSING",
      "the signing service needs the pipeline's OIDC token, but System.OidcRequestUri is not set; expected an Azure Pipelines job on Azure DevOps Services",
    );
  }
  const accessToken = env.SYSTEM_ACCESSTOKEN?.trim();
  if (!accessToken) {
    throw new ProvenantError(
      "PLATFORM_FACTS_MISSING",
      "the signing service needs the pipeline's OIDC token, requested with the job access token; add `env: { SYSTEM_ACCESSTOKEN: $(System.AccessToken) }` to the step",
    );
  }
  const services = variables.collectionUri ? servicesCollectionOf(normalizeCollectionUri(variables.collectionUri)) : undefined;
  if (!services) {
    throw new ProvenantError(
      "PLATFORM_FACTS_MISSING",
      `SYSTEM_COLLECTIONURI is ${variables.collectionUri ?? "not set"}; the job access token is sent only to an Azure DevOps Services organization (https://dev.azure.com/<organization>/ or https://<organization>.visualstudio.com/)`,
    );
  }
  const problem = oidcRequestUriProblem(variables.oidcRequestUri, services);
  if (problem) {
    throw new ProvenantError("PLATFORM_FACTS_MISSING", `SYSTEM_OIDCREQUESTURI ${problem}; the job access token was not sent`);
  }
  return requestPipelineToken(variables.oidcRequestUri, accessToken, fetcher);
}

/** The only audience a pipeline token can carry; a caller asking for another one is told so. */
export function checkServiceAudience(requested: string | undefined): void {
  if (requested !== undefined && requested !== AZURE_TOKEN_AUDIENCE) {
    throw new ProvenantError(
      "USAGE",
      `Azure Pipelines tokens always carry the audience ${AZURE_TOKEN_AUDIENCE} (Oidctoken - Create takes none); the token audience ${requested} cannot be requested. List ${AZURE_TOKEN_AUDIENCE} in the server's trusted issuer audiences instead`,
    );
  }
}
