import { normalizeGitUrl } from "@provenant/core";

/**
 * Every URL the GitLab adapter writes into provenance is built here, so that
 * one place decides their form (and strips what must not be recorded).
 */

/** `<instance>/<project path>`: the project's web URL in the instance's own scheme. */
export function projectWebUrl(serverUrl: string, projectPath: string): string {
  return `${serverUrl}/${projectPath}`.replace(/\/+$/, "");
}

/** The repository in the source convention's form (core's normalizeGitUrl: https, no credentials). */
export function repositoryUrlOf(webUrl: string): string {
  return normalizeGitUrl(webUrl) ?? webUrl;
}

/** `<project>/-/pipelines/<id>`: where GitLab shows a pipeline. */
export function pipelineUrlOf(webUrl: string, pipelineId: string): string {
  return `${webUrl}/-/pipelines/${pipelineId}`;
}

/** `<project>/-/jobs/<id>`: where GitLab shows a job (the invocation id). */
export function jobUrlOf(webUrl: string, jobId: string): string {
  return `${webUrl}/-/jobs/${jobId}`;
}

/** `ci_config_ref_uri`'s project part (`host/path`, no scheme) as a repository URL. */
export function configRepositoryUrlOf(project: string): string | undefined {
  return normalizeGitUrl(`https://${project}`);
}

/** `<instance>/-/runners/<kind>`: GitLab reserves `/-/` paths, so no project can own it. */
export function builderUrlOf(serverUrl: string, kind: "gitlab-hosted" | "self-hosted"): string {
  return `${serverUrl}/-/runners/${kind}`;
}
