// What the signing service and `provenant attest --server` need from this
// adapter: the pure claims-to-provenance path and the token request, without
// the task library or azure-devops-node-api (a megabyte the CLI's server and
// service-attest modules would otherwise carry).
export { azurePipelinesProvenance } from "./provenance/provenance.js";
export { factsFromPipelineClaims, pipelineSubjectOf, type ClaimsFactsOptions, type PipelineSubject } from "./facts/from-claims.js";
export { checkServiceAudience, requestServiceToken } from "./facts/service-token.js";
export { runPoolsHosted, type RunPools, type RunPoolsRequest } from "./facts/run-pools.js";
