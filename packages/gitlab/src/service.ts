// What the signing service and `provenant attest --server` need from this
// adapter: claims parsing and the pure provenance path, without the
// @gitbeaker API enrichment.
export { parseGitLabClaims } from "./claims.js";
export { factsFromToken } from "./facts.js";
export { gitlabProvenance } from "./provenance.js";
export { DEFAULT_TOKEN_VARIABLE } from "./token-variable.js";
