// The documented GitLab job claims live beside the test issuer that signs them.
export { gitlabJobClaims, JOB_COMMIT } from "@provenant/oidc/testing";
