export { azurePipelinesProvenance, buildResultsUrl, builderIdOf } from "./provenance/provenance.js";
export { collectAzurePipelinesFacts, type AzureCollectOptions } from "./facts/collect.js";
export type { AzurePipelinesFacts } from "./facts/types.js";
export { factsFromPipelineClaims, pipelineSubjectOf, type ClaimsFactsOptions, type PipelineSubject } from "./facts/from-claims.js";
export { checkServiceAudience, requestServiceToken } from "./facts/service-token.js";
export { readBuildApi, type BuildApiFacts, type BuildApiRequest } from "./facts/enrich.js";
export {
  AZURE_TOKEN_AUDIENCE,
  azureTokenIssuer,
  parsePipelineClaims,
  requestPipelineToken,
  verifyPipelineToken,
  type PipelineClaims,
} from "./facts/token.js";
export { normalizeCollectionUri, organizationOf, readPipelineVariables, type PipelineVariables } from "./facts/variables.js";
export { adapter, PACKAGE_VERSION } from "./adapter.js";
