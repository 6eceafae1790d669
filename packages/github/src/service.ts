// What the signing service and `provenant attest --server` need from this
// adapter: the claim schema, the pure provenance function and the token
// request, without the Octokit enrichment.
export { provenance } from "./provenance.js";
export { GitHubClaimsSchema } from "./facts/claims.js";
export { canRequestIdToken, requestIdToken } from "./facts/token.js";
