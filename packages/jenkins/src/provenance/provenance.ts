import { BUILD_TYPES, FACTS_SOURCE_FIELD, type ProvenanceFields, sourceDependency, withoutCredentials } from "@provenant/core";
import type { JenkinsFacts } from "../facts/types.js";
import { sourceRef } from "./ref.js";

/**
 * The Jenkins buildType (docs/buildtypes/jenkins-v1.md). Pure: every value
 * comes from the facts. External parameters hold what whoever started the
 * build controlled (job, source, parameters, the change); internal ones what
 * Jenkins chose (numbers, node, executor, causes).
 */
export function jenkinsProvenance(facts: JenkinsFacts): ProvenanceFields {
  const ref = sourceRef(facts.scm);
  const change = facts.scm.change;

  const externalParameters: Record<string, unknown> = {
    job: { name: facts.jobName, ...(facts.jobUrl ? { url: withoutCredentials(facts.jobUrl) } : {}) },
    source: { repository: withoutCredentials(facts.scm.repositoryUrl), ...(ref ? { ref } : {}) },
  };
  if (change) externalParameters.change = { ...change };
  if (facts.details && Object.keys(facts.details.parameters).length > 0) {
    externalParameters.parameters = { ...facts.details.parameters };
  }

  const internalParameters: Record<string, unknown> = { buildNumber: facts.buildNumber };
  if (facts.buildId !== undefined) internalParameters.buildId = facts.buildId;
  if (facts.buildTag !== undefined) internalParameters.buildTag = facts.buildTag;
  if (facts.nodeName !== undefined) internalParameters.node = facts.nodeName;
  if (facts.executorNumber !== undefined) internalParameters.executor = facts.executorNumber;
  if (facts.details) internalParameters.causes = facts.details.causes.map((cause) => ({ ...cause }));
  if (facts.tokenIssuer) internalParameters.idTokenIssuer = facts.tokenIssuer;

  const metadata: Record<string, unknown> = { invocationId: withoutCredentials(facts.buildUrl) };
  const startedOn = facts.details?.startedOn;
  if (startedOn) {
    metadata.startedOn = startedOn.toISOString();
    if (facts.details?.durationMs !== undefined) {
      metadata.finishedOn = new Date(startedOn.getTime() + facts.details.durationMs).toISOString();
    }
  }
  metadata[FACTS_SOURCE_FIELD] = facts.factsSource;

  return {
    buildDefinition: {
      buildType: BUILD_TYPES.jenkins,
      externalParameters,
      internalParameters,
      resolvedDependencies: [sourceDependency(facts.scm.repositoryUrl, ref, facts.scm.commit)],
    },
    runDetails: {
      builder: { id: withoutCredentials(facts.controllerUrl) },
      metadata,
    },
  };
}
