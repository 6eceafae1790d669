// What the signing service and `provenant attest --server` need from this
// adapter: the pure claims-to-provenance path and reading the bound token,
// without the rest of the adapter.
export { jenkinsProvenanceFromClaims } from "./facts/from-claims.js";
export { serviceIdToken } from "./facts/token.js";
