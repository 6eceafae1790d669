import {
  BUILD_TYPES,
  FACTS_SOURCE_FIELD,
  type ProvenanceFields,
  type ResourceDescriptor,
  sourceDependency,
  VARIABLE_DISAGREEMENTS_FIELD,
  withoutCredentials,
} from "@provenant/core";
import { splitConfigRefUri } from "./claims.js";
import { definedOnly, type GitLabFacts, MERGE_REQUEST_EVENT } from "./facts.js";
import { builderUrlOf, configRepositoryUrlOf } from "./urls.js";

/** `runDetails.metadata` extension listing variables the verified token overruled (core reads it into the report). */
export const DISAGREEMENTS_FIELD = VARIABLE_DISAGREEMENTS_FIELD;

/**
 * `<instance>/-/runners/<gitlab-hosted|self-hosted>`. GitLab reserves `/-/`
 * paths, so no project can own this URL. Without a verified token nothing
 * proves the runner is GitLab's, so unverified facts get `self-hosted`.
 */
export function builderIdOf(facts: Pick<GitLabFacts, "serverUrl" | "runnerEnvironment" | "factsSource">): string {
  const hosted = facts.factsSource === "oidc-token" && facts.runnerEnvironment === "gitlab-hosted";
  return builderUrlOf(withoutCredentials(facts.serverUrl), hosted ? "gitlab-hosted" : "self-hosted");
}

function configDependency(facts: GitLabFacts): ResourceDescriptor | undefined {
  if (!facts.configRefUri || !facts.configSha) return undefined;
  const parts = splitConfigRefUri(facts.configRefUri);
  if (!parts) return undefined;
  // In a merge request pipeline the claim's ref is the source branch, perhaps
  // a fork's, under this project's name (as with ref_path): the configuration
  // was read at the merge request's commit, so it takes the merge request ref.
  const ref = facts.pipelineSource === MERGE_REQUEST_EVENT ? facts.ref : parts.ref;
  if (!ref) return undefined;
  // The claim carries host/path without a scheme; the source convention records https.
  const repository = configRepositoryUrlOf(parts.project);
  if (!repository) return undefined;
  return { ...sourceDependency(repository, ref, facts.configSha), name: "ci-config" };
}

/**
 * The GitLab CI buildType (docs/buildtypes/gitlab-ci-v1.md). Pure: every value
 * comes from the facts. Variable values are never copied wholesale: only the
 * named predefined variables below are read, because user-defined variables
 * can hold secrets.
 */
export function gitlabProvenance(facts: GitLabFacts): ProvenanceFields {
  const config = definedOnly({ path: facts.configPath, refUri: facts.configRefUri });
  const externalParameters = definedOnly({
    repository: withoutCredentials(facts.projectUrl),
    ref: facts.ref,
    config: Object.keys(config).length > 0 ? config : undefined,
    job: facts.jobName,
    pipelineSource: facts.pipelineSource,
  });
  const runner = definedOnly({
    id: facts.runnerId,
    description: facts.runnerDescription,
    version: facts.runnerVersion,
    environment: facts.runnerEnvironment,
    type: facts.api?.runnerType,
    shared: facts.api?.runnerShared,
  });
  const internalParameters = definedOnly({
    serverUrl: withoutCredentials(facts.serverUrl),
    tokenIssuer: facts.tokenIssuer === undefined ? undefined : withoutCredentials(facts.tokenIssuer),
    project: definedOnly({ path: facts.projectPath, id: facts.projectId, namespacePath: facts.namespacePath }),
    pipeline: definedOnly({
      id: facts.pipelineId,
      url: withoutCredentials(facts.pipelineUrl),
      createdAt: facts.api?.pipelineCreatedAt,
      startedAt: facts.api?.pipelineStartedAt,
      finishedAt: facts.api?.pipelineFinishedAt,
    }),
    job: definedOnly({ id: facts.jobId, stage: facts.jobStage, createdAt: facts.api?.jobCreatedAt }),
    refProtected: facts.refProtected,
    runner: Object.keys(runner).length > 0 ? runner : undefined,
    triggeredBy: facts.userLogin ?? facts.api?.triggeredBy,
    deploymentEnvironment: facts.deploymentEnvironment,
    mergeRequest: facts.mergeRequest && {
      ...facts.mergeRequest,
      ...(facts.mergeRequest.sourceProjectUrl ? { sourceProjectUrl: withoutCredentials(facts.mergeRequest.sourceProjectUrl) } : {}),
    },
  });
  const configSource = configDependency(facts);
  const version = definedOnly({ gitlab: facts.serverVersion, "gitlab-runner": facts.runnerVersion }) as Record<string, string>;
  const startedOn = facts.jobStartedAt ?? facts.api?.jobStartedAt;
  return {
    buildDefinition: {
      buildType: BUILD_TYPES.gitlab,
      externalParameters,
      internalParameters,
      resolvedDependencies: [
        sourceDependency(facts.projectUrl, facts.ref, facts.commit),
        ...(configSource ? [configSource] : []),
      ],
    },
    runDetails: {
      builder: {
        id: builderIdOf(facts),
        ...(Object.keys(version).length > 0 ? { version } : {}),
      },
      metadata: {
        invocationId: withoutCredentials(facts.jobUrl),
        ...(startedOn ? { startedOn } : {}),
        [FACTS_SOURCE_FIELD]: facts.factsSource,
        ...(facts.disagreements.length > 0 ? { [DISAGREEMENTS_FIELD]: facts.disagreements } : {}),
      },
    },
  };
}
