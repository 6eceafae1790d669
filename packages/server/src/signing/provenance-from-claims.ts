import { FACTS_SOURCE_FIELD, type ProvenanceFields, ProvenantError } from "@provenant/core";
import { GitHubClaimsSchema, provenance as githubProvenance } from "@provenant/github/service";
import { factsFromToken, gitlabProvenance, parseGitLabClaims } from "@provenant/gitlab/service";
import * as z from "zod/mini";
import type { TrustedIssuer } from "./config.js";
import { fromAzure } from "./from-azure.js";
import { fromJenkins } from "./from-jenkins.js";

/** What the service read from a verified token: the identity it pins and signs for. */
export interface ServiceIdentity {
  /** Repository path, e.g. `acme/app` (GitHub owner/name, GitLab project path). */
  repository: string;
  /** The builder that ran: GitHub `job_workflow_ref`, GitLab `ci_config_ref_uri`. */
  builder?: string;
  /** Its commit: GitHub `job_workflow_sha`, GitLab `ci_config_sha`. */
  builderSha?: string;
}

export interface ServiceProvenance {
  identity: ServiceIdentity;
  provenance: ProvenanceFields;
}

/**
 * Builds `buildDefinition` and `runDetails` from a verified token's claims
 * alone, through each adapter's own pure provenance function (so the local
 * path and the service write the same fields), with no environment and no
 * caller-supplied facts; then records `service-oidc-token` as the source.
 */
export function provenanceFromClaims(issuer: TrustedIssuer, claims: Record<string, unknown>): ServiceProvenance {
  const fields =
    issuer.platform === "jenkins"
      ? fromJenkins(issuer, claims)
      : issuer.platform === "azure-pipelines"
        ? fromAzure(issuer, claims)
        : issuer.platform === "github"
          ? fromGitHub(issuer, claims)
          : fromGitLab(issuer, claims);
  const metadata = { ...fields.provenance.runDetails.metadata, [FACTS_SOURCE_FIELD]: "service-oidc-token" };
  return { identity: fields.identity, provenance: { ...fields.provenance, runDetails: { ...fields.provenance.runDetails, metadata } } };
}

function fromGitHub(issuer: TrustedIssuer, claims: Record<string, unknown>): ServiceProvenance {
  const parsed = z.safeParse(GitHubClaimsSchema, claims);
  if (!parsed.success) {
    const claim = String(parsed.error.issues[0]!.path[0]);
    throw new ProvenantError("PLATFORM_FACTS_MISSING", `the GitHub ID token's "${claim}" claim is missing or malformed; expected GitHub Actions' documented claim set`);
  }
  const serverUrl = issuer.serverUrl ?? "https://github.com";
  const provenance = githubProvenance({ serverUrl, claims: parsed.data, factsSource: "oidc-token", issuer: issuer.issuer });
  const sha = claims.job_workflow_sha;
  return {
    identity: {
      repository: parsed.data.repository,
      builder: parsed.data.job_workflow_ref,
      ...(typeof sha === "string" ? { builderSha: sha } : {}),
    },
    provenance,
  };
}

function fromGitLab(issuer: TrustedIssuer, claims: Record<string, unknown>): ServiceProvenance {
  const parsed = parseGitLabClaims(claims);
  const serverUrl = (issuer.serverUrl ?? issuer.issuer).replace(/\/+$/, "");
  // No environment: every fact comes from the claims; what only variables
  // would add (job name, runner description) is left out, never guessed.
  const facts = factsFromToken({}, serverUrl, parsed, () => {}, issuer.issuer);
  return {
    identity: {
      repository: facts.projectPath,
      ...(parsed.ci_config_ref_uri ? { builder: parsed.ci_config_ref_uri } : {}),
      ...(parsed.ci_config_sha ? { builderSha: parsed.ci_config_sha } : {}),
    },
    provenance: gitlabProvenance(facts),
  };
}
