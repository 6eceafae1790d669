export { adapter, collectGitLabFacts, DEFAULT_TOKEN_AUDIENCE, DEFAULT_TOKEN_VARIABLE } from "./adapter.js";
export { GitLabClaimsSchema, parseGitLabClaims, REQUIRED_CLAIMS, splitConfigRefUri, type GitLabClaims } from "./claims.js";
export { API_SWITCH_VARIABLE, API_TOKEN_VARIABLE, enrichFromApi } from "./enrich.js";
export {
  factsFromToken,
  factsFromVariables,
  type ApiFacts,
  type Disagreement,
  type GitLabFacts,
  type MergeRequestFacts,
  type RunnerEnvironment,
} from "./facts.js";
export { builderIdOf, DISAGREEMENTS_FIELD, gitlabProvenance } from "./provenance.js";
