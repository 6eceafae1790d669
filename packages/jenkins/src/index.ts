export { adapter } from "./adapter.js";
export { jenkinsFacts } from "./facts/collect.js";
export {
  type JenkinsClaimsIdentity,
  type JenkinsClaimsProvenance,
  jenkinsProvenanceFromClaims,
  REF_CLAIMS_MARKER,
} from "./facts/from-claims.js";
export { jenkinsProvenance } from "./provenance/provenance.js";
export { sourceRef } from "./provenance/ref.js";
export { API_TOKEN_VARIABLE, API_USER_VARIABLE, fetchBuildDetails } from "./facts/build-api.js";
export { DEFAULT_AUDIENCE, DEFAULT_TOKEN_VARIABLE, ISSUER_VARIABLE, type IssuerChoice, issuerFor, readIdToken, serviceIdToken } from "./facts/token.js";
export type {
  JenkinsBuildDetails,
  JenkinsCause,
  JenkinsChange,
  JenkinsFacts,
  JenkinsScm,
} from "./facts/types.js";
