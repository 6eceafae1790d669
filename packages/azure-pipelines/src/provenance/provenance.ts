import { BUILD_TYPES, FACTS_SOURCE_FIELD, type ProvenanceFields, sourceDependency, withoutCredentials } from "@provenant/core";
import type { AzurePipelinesFacts } from "../facts/types.js";

/**
 * `builder.id` names the organization and the kind of pool. Segments starting
 * with `_` are reserved by Azure DevOps (no project can be called `_agents`),
 * so the id cannot collide with a project URL. The pool kind is that of the
 * queue this job ran on (its Timeline record's queue, read with Queues -
 * Get), not the run's default queue, which a job's own `pool:` overrides. An
 * unknown pool kind counts as self-hosted: claiming Microsoft-hosted without
 * the API saying so would overstate what the evidence shows.
 */
export function builderIdOf(facts: Pick<AzurePipelinesFacts, "collectionUri" | "agent">): string {
  return `${withoutCredentials(facts.collectionUri)}_agents/${facts.agent.hosted === true ? "microsoft-hosted" : "self-hosted"}`;
}

/** The build results page: the run's `invocationId` (DESIGN.md). */
export function buildResultsUrl(facts: Pick<AzurePipelinesFacts, "collectionUri" | "project" | "build">): string {
  return `${withoutCredentials(facts.collectionUri)}${encodeURIComponent(facts.project)}/_build/results?buildId=${encodeURIComponent(facts.build.id)}`;
}

function definedOnly(entries: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== undefined && value !== ""));
}

/**
 * The Azure Pipelines buildType (docs/buildtypes/azure-pipelines-v1.md).
 * Pure: every value comes from the facts.
 */
export function azurePipelinesProvenance(facts: AzurePipelinesFacts): ProvenanceFields {
  const externalParameters = definedOnly({
    repository: withoutCredentials(facts.repository.url),
    ref: facts.ref,
    definition: definedOnly({
      id: facts.definition.id,
      name: facts.definition.name,
      yamlPath: facts.definition.yamlPath,
    }),
    templateParameters:
      facts.build.templateParameters && Object.keys(facts.build.templateParameters).length > 0
        ? facts.build.templateParameters
        : undefined,
  });
  const internalParameters = definedOnly({
    organization: facts.organization,
    organizationId: facts.organizationId,
    collectionUri: withoutCredentials(facts.collectionUri),
    project: facts.project,
    projectId: facts.projectId,
    definitionId: facts.definition.id,
    definitionRevision: facts.definition.revision,
    buildId: facts.build.id,
    buildNumber: facts.build.number,
    reason: facts.build.reason,
    requestedFor: facts.build.requestedFor,
    queuedOn: facts.build.queueTime?.toISOString(),
    repositoryProvider: facts.repository.provider,
    repositoryId: facts.repository.id,
    agent: definedOnly({
      name: facts.agent.name,
      id: facts.agent.id,
      os: facts.agent.os,
      // Left out when unknown: `false` would claim a self-hosted pool nobody observed.
      hosted: facts.agent.hosted,
    }),
    job: Object.keys(definedOnly(facts.job)).length > 0 ? definedOnly(facts.job) : undefined,
    idTokenIssuer: facts.tokenIssuer,
  });
  return {
    buildDefinition: {
      buildType: BUILD_TYPES.azurePipelines,
      externalParameters,
      internalParameters,
      resolvedDependencies: [sourceDependency(facts.repository.url, facts.ref, facts.commit)],
    },
    runDetails: {
      builder: {
        id: builderIdOf(facts),
        ...(facts.provenantVersion ? { version: { provenant: facts.provenantVersion } } : {}),
      },
      // No finishedOn: the job is still running when it attests, and the
      // time the provenance was made is not when the build finished (as the
      // GitLab and Jenkins adapters, which leave it out too).
      metadata: {
        invocationId: buildResultsUrl(facts),
        ...(facts.build.startTime ? { startedOn: facts.build.startTime.toISOString() } : {}),
        [FACTS_SOURCE_FIELD]: facts.factsSource,
      },
    },
  };
}
