import { type Environment, ProvenantError, type VariableDisagreement } from "@provenant/core";
import { type GitLabClaims, splitConfigRefUri } from "./claims.js";
import { jobUrlOf, pipelineUrlOf, projectWebUrl, repositoryUrlOf } from "./urls.js";

export type RunnerEnvironment = "gitlab-hosted" | "self-hosted";

/** A predefined variable that said something else than the verified token (core's shape, so verify reports it). */
export type Disagreement = VariableDisagreement;

/** What the REST API adds (optional enrichment; see enrich.ts). */
export interface ApiFacts {
  jobCreatedAt?: string;
  jobStartedAt?: string;
  pipelineCreatedAt?: string;
  pipelineStartedAt?: string;
  pipelineFinishedAt?: string;
  /** `instance_type`, `group_type` or `project_type`. */
  runnerType?: string;
  runnerShared?: boolean;
  /** Username of the user who triggered the job. */
  triggeredBy?: string;
}

export interface MergeRequestFacts {
  iid: string;
  sourceBranch?: string;
  targetBranch?: string;
  /** The project the merge request targets (`CI_MERGE_REQUEST_PROJECT_PATH`). */
  projectPath?: string;
  /** The source project: from the token (`source_project_path`, else `project_path` beside `job_project_path`) or `CI_MERGE_REQUEST_SOURCE_PROJECT_PATH`. */
  sourceProjectPath?: string;
  /** The source project's repository URL, in the source convention's form. */
  sourceProjectUrl?: string;
  /** `detached`, `merged_result` or `merge_train`. */
  eventType?: string;
}

/** Everything the GitLab buildType records, gathered from the job's variables and ID token. */
export interface GitLabFacts {
  /** `oidc-token` only when the identity facts below came from a verified ID token. */
  factsSource: "oidc-token" | "environment";
  /** The instance, e.g. `https://gitlab.com`; the token's issuer unless `tokenIssuer` says otherwise. */
  serverUrl: string;
  /** The verified token's issuer when it is not `serverUrl` (an instance's `ci_id_tokens_issuer_url`, pinned by the component input). */
  tokenIssuer?: string;
  serverVersion?: string;
  projectPath: string;
  /** `https://host/group/project`: the repository in the source convention's form (always https). */
  projectUrl: string;
  projectId?: string;
  namespacePath?: string;
  commit: string;
  /**
   * Full ref: `refs/heads/…`, `refs/tags/…`, or `refs/merge-requests/<iid>/…`
   * in a merge request pipeline run in the target project; in one run in the
   * source project (a fork), the fork's `refs/heads/<source branch>`.
   * Undefined when GitLab did not say.
   */
  ref?: string;
  refProtected?: boolean;
  configPath?: string;
  configRefUri?: string;
  configSha?: string;
  pipelineId: string;
  pipelineUrl: string;
  pipelineSource?: string;
  jobId: string;
  jobUrl: string;
  jobName?: string;
  jobStage?: string;
  jobStartedAt?: string;
  runnerId?: string;
  runnerDescription?: string;
  runnerVersion?: string;
  /** Only a verified token says whether the runner is GitLab-hosted. */
  runnerEnvironment?: RunnerEnvironment;
  userLogin?: string;
  /** The deployment environment the job targets, if any. */
  deploymentEnvironment?: string;
  mergeRequest?: MergeRequestFacts;
  api?: ApiFacts;
  disagreements: Disagreement[];
}

function variable(env: Environment, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function requireVariable(env: Environment, name: string, why: string): string {
  const value = variable(env, name);
  if (!value) {
    throw new ProvenantError(
      "PLATFORM_FACTS_MISSING",
      `the GitLab CI variable ${name} is not set; it is needed for ${why} (is this a GitLab CI job?)`,
    );
  }
  return value;
}

const COMMIT = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
// RFC 3339 as GitLab writes CI_JOB_STARTED_AT, e.g. 2024-03-05T10:02:11Z.
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export function serverUrlOf(env: Environment): string {
  const raw = requireVariable(env, "CI_SERVER_URL", "the GitLab instance (builder id, token issuer)");
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ProvenantError("PLATFORM_FACTS_MISSING", `CI_SERVER_URL is ${raw}; expected an http(s) URL like https://gitlab.com`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ProvenantError("PLATFORM_FACTS_MISSING", `CI_SERVER_URL is ${raw}; expected an http(s) URL like https://gitlab.com`);
  }
  if (url.username || url.password) {
    throw new ProvenantError("PLATFORM_FACTS_MISSING", "CI_SERVER_URL holds credentials; expected a plain instance URL");
  }
  return raw.replace(/\/+$/, "");
}

export const MERGE_REQUEST_EVENT = "merge_request_event";

// The ref GitLab keeps for each merge request's commits (GitLab docs, "Merge
// request refs"): `head` for the source branch's commit, `merge` for a
// merged-results pipeline's merge commit, `train` for a merge train's.
const MERGE_REQUEST_REF_KIND: Record<string, string> = { detached: "head", merged_result: "merge", merge_train: "train" };

type Warn = (message: string) => void;
interface VariableRef {
  ref: string;
  variable: string;
}

/**
 * A merge request pipeline's ref: `refs/merge-requests/<iid>/<head|merge|train>`,
 * from CI_MERGE_REQUEST_IID and CI_MERGE_REQUEST_EVENT_TYPE, which are variables
 * (no claim carries the iid). Never a branch: the token's ref_path there names
 * the source branch, which may be a fork's, as if it were this project's.
 */
function mergeRequestRef(env: Environment, warn: Warn): VariableRef | undefined {
  const iid = variable(env, "CI_MERGE_REQUEST_IID");
  if (!iid || !/^[1-9][0-9]*$/.test(iid)) {
    warn(
      `this is a merge request pipeline but CI_MERGE_REQUEST_IID is ${iid ? JSON.stringify(iid) : "not set"}, not a merge request number; the provenance names no source ref`,
    );
    return undefined;
  }
  const kind = MERGE_REQUEST_REF_KIND[variable(env, "CI_MERGE_REQUEST_EVENT_TYPE") ?? ""] ?? "head";
  return { ref: `refs/merge-requests/${iid}/${kind}`, variable: "CI_MERGE_REQUEST_IID" };
}

/**
 * The project a merge request targets: CI_MERGE_REQUEST_PROJECT_PATH, else
 * the path of CI_MERGE_REQUEST_PROJECT_URL under the instance (GitLab docs,
 * "Predefined CI/CD variables reference", merge request pipelines).
 */
function mergeRequestProjectPath(env: Environment, serverUrl: string): string | undefined {
  const path = variable(env, "CI_MERGE_REQUEST_PROJECT_PATH");
  if (path) return path;
  const url = variable(env, "CI_MERGE_REQUEST_PROJECT_URL");
  if (url?.startsWith(`${serverUrl}/`)) return url.slice(serverUrl.length + 1).replace(/\/+$/, "") || undefined;
  return undefined;
}

/**
 * Whether this merge request pipeline runs in the merge request's source
 * project, a fork — GitLab's default for merge requests from forks. Its
 * refs/merge-requests/<iid>/… exist only in the target project, so the fork's
 * own branch is recorded instead (docs/buildtypes/gitlab-ci-v1.md, "Merge
 * requests from forks"). The target project is only ever named by a variable.
 */
function runsInFork(env: Environment, serverUrl: string, jobProjectPath: string): boolean {
  const target = mergeRequestProjectPath(env, serverUrl);
  return target !== undefined && target !== jobProjectPath;
}

/** The fork's branch a pipeline run in the fork built, from the variables. */
function forkBranchRef(env: Environment, warn: Warn): VariableRef | undefined {
  const branch = variable(env, "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME") ?? variable(env, "CI_COMMIT_REF_NAME");
  if (branch) return { ref: `refs/heads/${branch}`, variable: "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME" };
  warn("this merge request pipeline runs in the source project but CI_MERGE_REQUEST_SOURCE_BRANCH_NAME is not set; the provenance names no source ref");
  return undefined;
}

/** The full ref the variables describe, and which variable said so. */
function refFromVariables(env: Environment, serverUrl: string, projectPath: string, warn: Warn): VariableRef | undefined {
  if (variable(env, "CI_PIPELINE_SOURCE") === MERGE_REQUEST_EVENT) {
    return runsInFork(env, serverUrl, projectPath) ? forkBranchRef(env, warn) : mergeRequestRef(env, warn);
  }
  const tag = variable(env, "CI_COMMIT_TAG");
  if (tag) return { ref: `refs/tags/${tag}`, variable: "CI_COMMIT_TAG" };
  const branch = variable(env, "CI_COMMIT_BRANCH");
  if (branch) return { ref: `refs/heads/${branch}`, variable: "CI_COMMIT_BRANCH" };
  warn("neither CI_COMMIT_TAG nor CI_COMMIT_BRANCH is set; the provenance names no source ref");
  return undefined;
}

/** ref_path as GitLab issued it, else composed from ref and ref_type. */
function claimedRefPath(claims: GitLabClaims): string {
  // `ref_path` is GitLab's own full ref: recorded as given, so a ref outside
  // refs/heads and refs/tags never passes for a branch.
  if (claims.ref_path?.startsWith("refs/")) return claims.ref_path;
  return `${claims.ref_type === "tag" ? "refs/tags/" : "refs/heads/"}${claims.ref}`;
}

function booleanVariable(env: Environment, name: string): boolean | undefined {
  const value = variable(env, name);
  return value === "true" ? true : value === "false" ? false : undefined;
}

function timestamp(value: string | undefined, name: string, warn: Warn): string | undefined {
  if (!value) return undefined;
  if (TIMESTAMP.test(value) && !Number.isNaN(Date.parse(value))) return value;
  warn(`${name} is ${JSON.stringify(value)}, not an RFC 3339 timestamp; startedOn is left out`);
  return undefined;
}

function mergeRequestOf(env: Environment, serverUrl: string, sourceProjectPath?: string): MergeRequestFacts | undefined {
  const iid = variable(env, "CI_MERGE_REQUEST_IID");
  if (!iid) return undefined;
  const source = sourceProjectPath ?? variable(env, "CI_MERGE_REQUEST_SOURCE_PROJECT_PATH");
  return definedOnly({
    iid,
    sourceBranch: variable(env, "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME"),
    targetBranch: variable(env, "CI_MERGE_REQUEST_TARGET_BRANCH_NAME"),
    projectPath: mergeRequestProjectPath(env, serverUrl),
    sourceProjectPath: source,
    sourceProjectUrl: source ? repositoryUrlOf(projectWebUrl(serverUrl, source)) : undefined,
    eventType: variable(env, "CI_MERGE_REQUEST_EVENT_TYPE"),
  });
}

/** Drops undefined fields so that documents and test expectations hold only what is known. */
export function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Facts from predefined variables alone. Any build step can change these, so
 * the result is marked `environment` (SLSA Build L1 at most).
 */
export function factsFromVariables(env: Environment, warn: Warn): GitLabFacts {
  const serverUrl = serverUrlOf(env);
  const projectPath = requireVariable(env, "CI_PROJECT_PATH", "the source repository");
  const commit = requireVariable(env, "CI_COMMIT_SHA", "the source commit");
  if (!COMMIT.test(commit)) {
    throw new ProvenantError("PLATFORM_FACTS_MISSING", `CI_COMMIT_SHA is ${JSON.stringify(commit)}; expected a 40 or 64 character lowercase hex commit`);
  }
  const pipelineId = requireVariable(env, "CI_PIPELINE_ID", "the pipeline id");
  const jobId = requireVariable(env, "CI_JOB_ID", "the invocation id");
  // Job and pipeline links keep the instance's own scheme; only the source
  // repository takes the source convention's form.
  const webUrl = (variable(env, "CI_PROJECT_URL") ?? projectWebUrl(serverUrl, projectPath)).replace(/\/+$/, "");
  const projectUrl = repositoryUrlOf(webUrl);
  const ref = refFromVariables(env, serverUrl, projectPath, warn);
  return definedOnly({
    factsSource: "environment",
    serverUrl,
    serverVersion: variable(env, "CI_SERVER_VERSION"),
    projectPath,
    projectUrl,
    projectId: variable(env, "CI_PROJECT_ID"),
    namespacePath: variable(env, "CI_PROJECT_NAMESPACE"),
    commit,
    ref: ref?.ref,
    refProtected: booleanVariable(env, "CI_COMMIT_REF_PROTECTED"),
    configPath: variable(env, "CI_CONFIG_PATH"),
    pipelineId,
    pipelineUrl: variable(env, "CI_PIPELINE_URL") ?? pipelineUrlOf(webUrl, pipelineId),
    pipelineSource: variable(env, "CI_PIPELINE_SOURCE"),
    jobId,
    jobUrl: variable(env, "CI_JOB_URL") ?? jobUrlOf(webUrl, jobId),
    jobName: variable(env, "CI_JOB_NAME"),
    jobStage: variable(env, "CI_JOB_STAGE"),
    jobStartedAt: timestamp(variable(env, "CI_JOB_STARTED_AT"), "CI_JOB_STARTED_AT", warn),
    runnerId: variable(env, "CI_RUNNER_ID"),
    runnerDescription: variable(env, "CI_RUNNER_DESCRIPTION"),
    runnerVersion: variable(env, "CI_RUNNER_VERSION"),
    userLogin: variable(env, "GITLAB_USER_LOGIN"),
    deploymentEnvironment: variable(env, "CI_ENVIRONMENT_NAME"),
    mergeRequest: mergeRequestOf(env, serverUrl),
    disagreements: [],
  });
}

/**
 * The project the job runs in, as the token names it. Since gitlab-org/gitlab
 * issue 548165 (GitLab 18.2.2), a merge request pipeline from a fork that runs
 * in the parent project gets a token whose project_* name the fork, and
 * gitlab-org/gitlab!202241 added job_project_* for the job's own project.
 * Tokens without job_project_* (older instances) name the job's project in
 * project_*.
 */
function jobProjectOf(claims: GitLabClaims): { path: string; id?: string; namespacePath?: string; claim: "job_project" | "project" } {
  if (claims.job_project_path) {
    return { path: claims.job_project_path, id: claims.job_project_id, namespacePath: claims.job_namespace_path, claim: "job_project" };
  }
  return { path: claims.project_path, id: claims.project_id, namespacePath: claims.namespace_path, claim: "project" };
}

/**
 * The merge request's source project as the token names it: only tokens that
 * carry job_project_* say it (source_project_path, else project_path, which
 * since GitLab 18.2.2 names the source project in merge request pipelines).
 */
function claimedSourceProject(claims: GitLabClaims): string | undefined {
  if (!claims.job_project_path) return undefined;
  return claims.source_project_path ?? claims.project_path;
}

/**
 * GitLab 18.2.2 and 18.3 patch releases before gitlab-org/gitlab!205700 name
 * a fork's merge request's source project in project_* even when the
 * pipeline runs in the parent, and have no job_project_* to name the job's
 * project. Nothing in such a token says which project the job ran in, so the
 * adapter cannot tell it from a pipeline run in the fork: say so.
 */
function warnIfProjectIsTheSource(env: Environment, claims: GitLabClaims, warn: Warn): void {
  if (claims.job_project_path || claims.pipeline_source !== MERGE_REQUEST_EVENT) return;
  const jobProject = variable(env, "CI_PROJECT_PATH");
  if (jobProject === undefined || jobProject === claims.project_path) return;
  if (variable(env, "CI_MERGE_REQUEST_SOURCE_PROJECT_PATH") !== claims.project_path) return;
  warn(
    `the ID token's project_path (${claims.project_path}) is the merge request's source project, not CI_PROJECT_PATH (${jobProject}), and it has no job_project_path claim: ` +
      "GitLab 18.2.2 to 18.3 before the job_project_* claims issue such tokens to parent-project pipelines for merge requests from forks. " +
      "The token names no other project, so the provenance records the source project's branch and job URL; upgrade the instance to get job_project_path",
  );
}

/**
 * Facts when the job has a verified ID token: the claims win over the
 * variables, because a build step can rewrite variables but cannot forge a
 * token. Every place where a variable said otherwise is kept as a
 * disagreement. Variables still supply what the token does not carry (job
 * name, stage, start time, runner description and version).
 */
export function factsFromToken(
  env: Environment,
  serverUrl: string,
  claims: GitLabClaims,
  warn: Warn,
  tokenIssuer?: string,
): GitLabFacts {
  const job = jobProjectOf(claims);
  warnIfProjectIsTheSource(env, claims, warn);
  const webUrl = projectWebUrl(serverUrl, job.path);
  const projectUrl = repositoryUrlOf(webUrl);
  const mergeRequestPipeline = claims.pipeline_source === MERGE_REQUEST_EVENT;
  const fork = mergeRequestPipeline && runsInFork(env, serverUrl, job.path);
  // In a merge request pipeline GitLab builds ref_path from the source
  // branch (Ci::Pipeline#source_ref_path). Run in the fork, that is the
  // fork's own branch, where the commit lives: recorded as issued. Run in the
  // target project, it would name a fork's `main` as this project's main: the
  // merge request ref is recorded instead.
  const ref = !mergeRequestPipeline || fork ? claimedRefPath(claims) : mergeRequestRef(env, warn)?.ref;
  type Compared = [string, string | undefined, string, string | undefined];
  const refCompared: Compared[] = [];
  // A target project's merge request ref comes from the variables either way: nothing to compare.
  if (!mergeRequestPipeline || fork) {
    // The variables' own ref, for comparison only, so silently.
    const variableRef = refFromVariables(env, serverUrl, job.path, () => {});
    refCompared.push([variableRef?.variable ?? "CI_COMMIT_REF_NAME", variableRef?.ref, "ref_path", ref]);
  }
  const sourceProject = mergeRequestPipeline ? claimedSourceProject(claims) : undefined;
  const compared: Compared[] = [
    ["CI_PROJECT_PATH", variable(env, "CI_PROJECT_PATH"), `${job.claim}_path`, job.path],
    ["CI_PROJECT_ID", variable(env, "CI_PROJECT_ID"), `${job.claim}_id`, job.id],
    ["CI_PROJECT_NAMESPACE", variable(env, "CI_PROJECT_NAMESPACE"), job.claim === "job_project" ? "job_namespace_path" : "namespace_path", job.namespacePath],
    ["CI_MERGE_REQUEST_SOURCE_PROJECT_PATH", variable(env, "CI_MERGE_REQUEST_SOURCE_PROJECT_PATH"), claims.source_project_path ? "source_project_path" : "project_path", sourceProject],
    ["CI_COMMIT_SHA", variable(env, "CI_COMMIT_SHA"), "sha", claims.sha],
    ...refCompared,
    ["CI_COMMIT_REF_PROTECTED", variable(env, "CI_COMMIT_REF_PROTECTED"), "ref_protected", claims.ref_protected?.toString()],
    ["CI_PIPELINE_ID", variable(env, "CI_PIPELINE_ID"), "pipeline_id", claims.pipeline_id],
    ["CI_PIPELINE_SOURCE", variable(env, "CI_PIPELINE_SOURCE"), "pipeline_source", claims.pipeline_source],
    ["CI_JOB_ID", variable(env, "CI_JOB_ID"), "job_id", claims.job_id],
    ["CI_RUNNER_ID", variable(env, "CI_RUNNER_ID"), "runner_id", claims.runner_id],
    ["GITLAB_USER_LOGIN", variable(env, "GITLAB_USER_LOGIN"), "user_login", claims.user_login],
  ];
  const disagreements = compared
    .filter(([, variableValue, , claimValue]) => variableValue !== undefined && claimValue !== undefined && variableValue !== claimValue)
    .map(([name, variableValue, claim, claimValue]) => ({
      variable: name,
      claim,
      variableValue: variableValue!,
      claimValue: claimValue!,
    }));
  const configRefUri = claims.ci_config_ref_uri;
  const configPathFromToken = configRefUri ? splitConfigRefUri(configRefUri)?.path : undefined;
  return definedOnly({
    factsSource: "oidc-token",
    serverUrl,
    tokenIssuer: tokenIssuer !== undefined && tokenIssuer !== serverUrl ? tokenIssuer : undefined,
    serverVersion: variable(env, "CI_SERVER_VERSION"),
    projectPath: job.path,
    projectUrl,
    projectId: job.id,
    namespacePath: job.namespacePath,
    commit: claims.sha,
    ref,
    refProtected: claims.ref_protected,
    configPath: configPathFromToken || variable(env, "CI_CONFIG_PATH"),
    configRefUri,
    configSha: claims.ci_config_sha,
    pipelineId: claims.pipeline_id,
    // Built from verified claims: CI_JOB_URL could point anywhere.
    pipelineUrl: pipelineUrlOf(webUrl, claims.pipeline_id),
    pipelineSource: claims.pipeline_source,
    jobId: claims.job_id,
    jobUrl: jobUrlOf(webUrl, claims.job_id),
    jobName: variable(env, "CI_JOB_NAME"),
    jobStage: variable(env, "CI_JOB_STAGE"),
    jobStartedAt: timestamp(variable(env, "CI_JOB_STARTED_AT"), "CI_JOB_STARTED_AT", warn),
    runnerId: claims.runner_id,
    runnerDescription: variable(env, "CI_RUNNER_DESCRIPTION"),
    runnerVersion: variable(env, "CI_RUNNER_VERSION"),
    runnerEnvironment: claims.runner_environment,
    userLogin: claims.user_login,
    deploymentEnvironment: claims.environment,
    mergeRequest: mergeRequestOf(env, serverUrl, sourceProject),
    disagreements,
  });
}
