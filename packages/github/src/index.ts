export { adapter } from "./adapter.js";
export { DISAGREEMENTS_FIELD, INPUTS_SOURCE_FIELD, provenance, TOKEN_ISSUER_FIELD, workflowPathOf } from "./provenance.js";
export { githubFacts, type GitHubFacts } from "./facts/facts.js";
export { GitHubClaimsSchema, REQUIRED_CLAIMS, type GitHubClaims } from "./facts/claims.js";
export { CLAIM_VARIABLES, claimsFromEnvironment, type Disagreement, disagreementsWith } from "./facts/environment.js";
export { readEventPayload, type EventPayload } from "./facts/event.js";
export { acceptedIssuer, apiUrlFor, GITHUB_COM_ISSUER, issuerFor, serverUrlOf } from "./facts/server.js";
export { canRequestIdToken, DEFAULT_AUDIENCE, requestIdToken, verifyGitHubToken } from "./facts/token.js";
