import { PLATFORM_HARDENED_FIELD } from "@provenant/core";
import { jenkinsProvenanceFromClaims } from "@provenant/jenkins/service";
import type { TrustedIssuer } from "./config.js";
import type { ServiceProvenance } from "./provenance-from-claims.js";

/**
 * Jenkins (the OIDC Provider plugin's token): the adapter's own claims-only
 * path builds the fields. Pinned as the adapter maps the build: the job's
 * full name (`acme/app/main`, read from `sub`, the job URL) is what
 * `repositories` patterns match, and the controller (`builder.id`) what
 * `builders` pin. The controller is the issuer's, or `serverUrl` when the
 * issuer is not the plugin's `<JENKINS_URL>oidc[/job/<folder>…]`.
 *
 * `hardened: true` is the operator's word that this controller runs no
 * builds itself and isolates its agents' runs (README, "Jenkins and SLSA
 * Build L3"); it is recorded for the verifier, which gives L3 only then.
 */
export function fromJenkins(issuer: TrustedIssuer, claims: Record<string, unknown>): ServiceProvenance {
  const built = jenkinsProvenanceFromClaims(claims, issuer.serverUrl ? { controllerUrl: issuer.serverUrl } : {});
  const provenance = issuer.hardened
    ? { ...built.provenance, runDetails: { ...built.provenance.runDetails, metadata: { ...built.provenance.runDetails.metadata, [PLATFORM_HARDENED_FIELD]: true } } }
    : built.provenance;
  return { identity: { repository: built.identity.jobName, builder: built.identity.controllerUrl }, provenance };
}
