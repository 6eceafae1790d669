import { ProvenantError } from "@provenant/core";
import { GUID, servicesCollectionOf } from "./services-url.js";
import { parsePipelineClaims } from "./token.js";
import type { AzurePipelinesFacts } from "./types.js";
import { repositoryUrlOf } from "./variables.js";

export interface PipelineSubject {
  organization: string;
  project: string;
  /** The pipeline's name, as the token's `sub` names it. */
  pipeline: string;
}

/**
 * A pipeline's own token names it in `sub` as `p://<organization>/<project>/<pipeline>`.
 * A token requested for a service connection says `sc://…` instead: that one
 * is meant for an Entra ID exchange, and is refused here, so a job never has
 * a reason to send the signing service a token an Entra credential accepts.
 */
export function pipelineSubjectOf(sub: unknown): PipelineSubject {
  const match = typeof sub === "string" ? /^p:\/\/([^/]+)\/([^/]+)\/(.+)$/.exec(sub) : null;
  if (!match) {
    throw new ProvenantError(
      "PLATFORM_FACTS_MISSING",
      `the pipeline's OIDC token has sub ${JSON.stringify(String(sub ?? "missing").slice(0, 200))}; expected p://<organization>/<project>/<pipeline> (a pipeline's own token, not a service connection's sc:// one)`,
    );
  }
  const [organization, project, pipeline] = [match[1]!, match[2]!, match[3]!].map(decodeSegment);
  return { organization: organization!, project: project!, pipeline: pipeline! };
}

/** Whether Azure percent-encodes `sub` is not documented; an escape that decodes cleanly is taken decoded. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export interface ClaimsFactsOptions {
  /** The issuer the token was verified against (recorded as `idTokenIssuer`). */
  issuer: string;
  /**
   * The organization's collection URI; default `https://dev.azure.com/<organization of sub>/`.
   * Must name the same organization as the token (`https://<org>.visualstudio.com/` is the other form).
   */
  collectionUri?: string;
  provenantVersion?: string;
}

const COMMIT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const WHOLE_GUID = new RegExp(`^${GUID}$`, "i");

/**
 * The facts of an Azure Pipelines job read from its verified OIDC token's
 * claims alone, for the signing service: no variable and no Build API, so
 * what only those would add (build number, reason, agent, job, YAML path,
 * template parameters, repository provider, requested-for, times) is left
 * out, never guessed. The pool kind is not in the token either, so
 * `agent.hosted` stays unknown and `builder.id` names the self-hosted pool
 * kind, as the local path does whenever the API does not say Microsoft-hosted.
 * Pure; pass the result to `azurePipelinesProvenance`.
 */
export function factsFromPipelineClaims(claims: Record<string, unknown>, options: ClaimsFactsOptions): AzurePipelinesFacts {
  const parsed = parsePipelineClaims(claims);
  const subject = pipelineSubjectOf(parsed.sub);
  const collectionUri = options.collectionUri ?? `https://dev.azure.com/${encodeURIComponent(subject.organization)}/`;
  const services = servicesCollectionOf(collectionUri.endsWith("/") ? collectionUri : `${collectionUri}/`);
  if (!services) {
    throw new ProvenantError(
      "USAGE",
      `the collection URI ${collectionUri} is not an Azure DevOps Services organization; expected https://dev.azure.com/<organization>/ or https://<organization>.visualstudio.com/`,
    );
  }
  if (services.organization.toLowerCase() !== subject.organization.toLowerCase()) {
    throw new ProvenantError(
      "TOKEN_INVALID",
      `the token was issued to organization ${subject.organization} (sub), but the collection URI ${services.collectionUri} names ${services.organization}; expected the same organization`,
    );
  }
  if (!WHOLE_GUID.test(parsed.org_id)) {
    throw new ProvenantError("PLATFORM_FACTS_MISSING", `the token's org_id is ${parsed.org_id}; expected the organization id, a GUID`);
  }
  const commit = parsed.rpo_ver.toLowerCase();
  if (!COMMIT.test(commit)) {
    throw new ProvenantError("PLATFORM_FACTS_MISSING", `the token's rpo_ver is ${parsed.rpo_ver}; expected a git commit (40 or 64 hex characters)`);
  }
  if (!/^\d+$/.test(parsed.run_id)) {
    throw new ProvenantError("PLATFORM_FACTS_MISSING", `the token's run_id is ${parsed.run_id}; expected a number`);
  }
  if (!parsed.rpo_ref.startsWith("refs/")) {
    throw new ProvenantError("PLATFORM_FACTS_MISSING", `the token's rpo_ref is ${parsed.rpo_ref}; expected a full git ref (refs/heads/…, refs/tags/…)`);
  }
  return {
    collectionUri: services.collectionUri,
    organization: services.organization,
    organizationId: parsed.org_id,
    project: subject.project,
    projectId: parsed.prj_id,
    definition: { id: parsed.def_id, name: subject.pipeline },
    build: { id: parsed.run_id },
    repository: {
      url: repositoryUrlOf(parsed.rpo_uri, "the token's rpo_uri"),
      ...(parsed.rpo_id ? { id: parsed.rpo_id } : {}),
    },
    ref: parsed.rpo_ref,
    commit,
    agent: {},
    job: {},
    factsSource: "oidc-token",
    tokenIssuer: options.issuer,
    ...(options.provenantVersion ? { provenantVersion: options.provenantVersion } : {}),
  };
}
