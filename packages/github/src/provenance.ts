import { BUILD_TYPES, FACTS_SOURCE_FIELD, type ProvenanceFields, VARIABLE_DISAGREEMENTS_FIELD, withoutCredentials } from "@provenant/core";
import type { GitHubFacts } from "./facts/facts.js";

/** Extension field naming the OIDC issuer whose signature vouched for the facts. */
export const TOKEN_ISSUER_FIELD = "provenant_tokenIssuer";
/** Extension field listing variables that contradicted the verified token: core's, shared by every adapter. */
export const DISAGREEMENTS_FIELD = VARIABLE_DISAGREEMENTS_FIELD;

/**
 * Extension field saying where `externalParameters.inputs` came from: the
 * event file at GITHUB_EVENT_PATH, which any earlier step can rewrite and no
 * token claim covers, even when the rest came from a verified token.
 */
export const INPUTS_SOURCE_FIELD = "provenant_inputsSource";

/**
 * `owner/repo/.github/workflows/release.yml@refs/tags/v1` → `.github/workflows/release.yml`.
 * The buildType warns that path and ref may both contain "@": the known ref
 * suffix is cut first, the last "@" only when the ref differs.
 */
export function workflowPathOf(workflowRef: string, repository: string, ref: string): string {
  const withoutRepository = workflowRef.startsWith(`${repository}/`) ? workflowRef.slice(repository.length + 1) : workflowRef;
  if (withoutRepository.endsWith(`@${ref}`)) return withoutRepository.slice(0, -(ref.length + 1));
  const at = withoutRepository.lastIndexOf("@");
  return at === -1 ? withoutRepository : withoutRepository.slice(0, at);
}

/**
 * The GitHub Actions workflow buildType
 * (https://actions.github.io/buildtypes/workflow/v1), field for field what
 * GitHub's own `@actions/attest` records for the same claims. The one
 * external parameter added is `inputs`, which the buildType defines for a
 * `workflow_dispatch` run (GitHub's library leaves it out); other additions
 * live in `runDetails.metadata`, because the buildType's consumers should
 * reject external parameters they do not know.
 */
export function provenance(facts: GitHubFacts): ProvenanceFields {
  const { claims } = facts;
  const serverUrl = withoutCredentials(facts.serverUrl);
  const inputs = facts.workflowInputs && Object.keys(facts.workflowInputs).length > 0 ? facts.workflowInputs : undefined;
  const repositoryUrl = `${serverUrl}/${claims.repository}`;
  return {
    buildDefinition: {
      buildType: BUILD_TYPES.github,
      externalParameters: {
        workflow: {
          ref: claims.ref,
          repository: repositoryUrl,
          path: workflowPathOf(claims.workflow_ref, claims.repository, claims.ref),
        },
        ...(inputs ? { inputs } : {}),
      },
      internalParameters: {
        github: {
          event_name: claims.event_name,
          repository_id: claims.repository_id,
          repository_owner_id: claims.repository_owner_id,
          runner_environment: claims.runner_environment,
        },
      },
      resolvedDependencies: [{ uri: `git+${repositoryUrl}@${claims.ref}`, digest: { gitCommit: claims.sha } }],
    },
    runDetails: {
      builder: { id: `${serverUrl}/${claims.job_workflow_ref}` },
      metadata: {
        invocationId: `${repositoryUrl}/actions/runs/${claims.run_id}/attempts/${claims.run_attempt}`,
        ...(facts.startedOn ? { startedOn: facts.startedOn } : {}),
        ...(facts.finishedOn ? { finishedOn: facts.finishedOn } : {}),
        [FACTS_SOURCE_FIELD]: facts.factsSource,
        ...(facts.factsSource === "oidc-token" && facts.issuer ? { [TOKEN_ISSUER_FIELD]: facts.issuer } : {}),
        ...(facts.disagreements?.length ? { [DISAGREEMENTS_FIELD]: facts.disagreements } : {}),
        ...(inputs ? { [INPUTS_SOURCE_FIELD]: "event-payload" } : {}),
      },
    },
  };
}
