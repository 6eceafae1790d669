/**
 * Test fixtures (not exported from index.ts). Variable names and value shapes
 * follow GitLab's "Predefined CI/CD variables reference"; claims follow the
 * "ID token payload" table and the sample payloads in gitlab-org/gitlab!116867
 * and !122373. Ids, paths and times are made up.
 */
export const COMMIT = "4e9b7dbc7e42626ca4f4676ad91f17951f97af9a";
export const OTHER_COMMIT = "0000000000000000000000000000000000000bad";

/** A branch push pipeline on gitlab.com, on a GitLab-hosted runner. */
export const GITLAB_COM_BRANCH = {
  GITLAB_CI: "true",
  CI: "true",
  CI_SERVER_URL: "https://gitlab.com",
  CI_SERVER_VERSION: "18.6.0-pre",
  CI_API_V4_URL: "https://gitlab.com/api/v4",
  CI_PROJECT_URL: "https://gitlab.com/acme/app",
  CI_PROJECT_PATH: "acme/app",
  CI_PROJECT_ID: "278964",
  CI_PROJECT_NAMESPACE: "acme",
  CI_COMMIT_SHA: COMMIT,
  CI_COMMIT_REF_NAME: "main",
  CI_COMMIT_BRANCH: "main",
  CI_COMMIT_REF_PROTECTED: "true",
  CI_PIPELINE_ID: "1001",
  CI_PIPELINE_URL: "https://gitlab.com/acme/app/-/pipelines/1001",
  CI_PIPELINE_SOURCE: "push",
  CI_JOB_ID: "5005",
  CI_JOB_URL: "https://gitlab.com/acme/app/-/jobs/5005",
  CI_JOB_NAME: "build",
  CI_JOB_STAGE: "build",
  CI_JOB_STARTED_AT: "2025-03-05T10:02:11Z",
  CI_RUNNER_ID: "12270837",
  CI_RUNNER_DESCRIPTION: "3-blue.saas-linux-small-amd64.runners-manager.gitlab.com/default",
  CI_RUNNER_VERSION: "18.5.0",
  CI_CONFIG_PATH: ".gitlab-ci.yml",
  GITLAB_USER_LOGIN: "jdoe",
  // Secrets that must never reach a provenance document.
  CI_JOB_TOKEN: "glcbt-64_secret-job-token",
  DEPLOY_PASSWORD: "hunter2-do-not-record",
} as const;

/** A tag pipeline on a self-managed instance served under a relative URL root and a port. */
export const SELF_MANAGED_TAG = {
  GITLAB_CI: "true",
  CI_SERVER_URL: "https://gitlab.corp.example:8443/gitlab",
  CI_SERVER_VERSION: "17.11.3-ee",
  CI_PROJECT_URL: "https://gitlab.corp.example:8443/gitlab/platform/team/svc",
  CI_PROJECT_PATH: "platform/team/svc",
  CI_PROJECT_ID: "42",
  CI_PROJECT_NAMESPACE: "platform/team",
  CI_COMMIT_SHA: COMMIT,
  CI_COMMIT_REF_NAME: "v1.2.0",
  CI_COMMIT_TAG: "v1.2.0",
  CI_COMMIT_REF_PROTECTED: "true",
  CI_PIPELINE_ID: "77",
  CI_PIPELINE_URL: "https://gitlab.corp.example:8443/gitlab/platform/team/svc/-/pipelines/77",
  CI_PIPELINE_SOURCE: "push",
  CI_JOB_ID: "901",
  CI_JOB_URL: "https://gitlab.corp.example:8443/gitlab/platform/team/svc/-/jobs/901",
  CI_JOB_NAME: "release",
  CI_JOB_STAGE: "publish",
  CI_JOB_STARTED_AT: "2025-04-01T08:00:00+02:00",
  CI_RUNNER_ID: "3",
  CI_RUNNER_DESCRIPTION: "build-host-07",
  CI_RUNNER_VERSION: "17.11.0",
  CI_CONFIG_PATH: "ci/release.yml",
  GITLAB_USER_LOGIN: "release-bot",
} as const;

/** A merge request pipeline: no CI_COMMIT_BRANCH, the CI_MERGE_REQUEST_* set instead. */
export const MERGE_REQUEST = {
  ...GITLAB_COM_BRANCH,
  CI_COMMIT_BRANCH: undefined,
  CI_COMMIT_REF_NAME: "feature/login",
  CI_COMMIT_REF_PROTECTED: "false",
  CI_PIPELINE_SOURCE: "merge_request_event",
  CI_MERGE_REQUEST_IID: "17",
  CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: "feature/login",
  CI_MERGE_REQUEST_TARGET_BRANCH_NAME: "main",
  CI_MERGE_REQUEST_SOURCE_PROJECT_PATH: "acme/app",
  CI_MERGE_REQUEST_SOURCE_PROJECT_URL: "https://gitlab.com/acme/app",
  CI_MERGE_REQUEST_PROJECT_PATH: "acme/app",
  CI_MERGE_REQUEST_PROJECT_URL: "https://gitlab.com/acme/app",
  CI_MERGE_REQUEST_EVENT_TYPE: "detached",
} as const;

/**
 * A merge request from a fork whose source branch is `main`, its pipeline run
 * in the target project acme/app (a maintainer's "Run pipeline"): the commit
 * is the fork's, CI_PROJECT_PATH the target's.
 */
export const MERGE_REQUEST_FROM_FORK = {
  ...MERGE_REQUEST,
  CI_COMMIT_SHA: OTHER_COMMIT,
  CI_COMMIT_REF_NAME: "main",
  CI_MERGE_REQUEST_IID: "23",
  CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: "main",
  CI_MERGE_REQUEST_SOURCE_PROJECT_PATH: "contributor/app",
  CI_MERGE_REQUEST_SOURCE_PROJECT_URL: "https://gitlab.com/contributor/app",
  GITLAB_USER_LOGIN: "maintainer",
} as const;

/**
 * The same merge request's pipeline run in the fork, GitLab's default for
 * merge requests from forks ("Run pipelines in the parent project" is the
 * exception). GitLab docs, "Predefined CI/CD variables reference" (merge
 * request pipelines) and "Merge request pipelines" § "Use with forked
 * projects": CI_PROJECT_* name the fork, where the job runs;
 * CI_MERGE_REQUEST_PROJECT_PATH / _URL the target project;
 * CI_MERGE_REQUEST_SOURCE_* the fork again; CI_COMMIT_REF_NAME the fork's
 * branch. A fork pipeline is always `detached` (merged results run only in
 * the target project).
 */
export const MERGE_REQUEST_IN_FORK = {
  ...MERGE_REQUEST_FROM_FORK,
  CI_PROJECT_URL: "https://gitlab.com/contributor/app",
  CI_PROJECT_PATH: "contributor/app",
  CI_PROJECT_ID: "999",
  CI_PROJECT_NAMESPACE: "contributor",
  CI_PIPELINE_ID: "3003",
  CI_PIPELINE_URL: "https://gitlab.com/contributor/app/-/pipelines/3003",
  CI_JOB_ID: "7007",
  CI_JOB_URL: "https://gitlab.com/contributor/app/-/jobs/7007",
  CI_RUNNER_ID: "12270837",
  GITLAB_USER_LOGIN: "contributor",
} as const;

/**
 * Claims GitLab 18.2.2 and later issue to a merge request pipeline from a
 * fork, per gitlab-org/gitlab issue 548165 (project_* name the merge
 * request's source project) and !202241 (job_project_path, job_project_id,
 * job_namespace_path name the project the job runs in; "ID token payload"
 * table of docs/ci/secrets/id_token_authentication). Run in the parent, the
 * two differ; run in the fork, both name the fork.
 */
export function claimsSince18_2_2(env: Readonly<Record<string, string | undefined>>, source: { path: string; id: string; namespace: string }) {
  return {
    ...claimsFor(env),
    sub: `project_path:${source.path}:ref_type:branch:ref:${env.CI_MERGE_REQUEST_SOURCE_BRANCH_NAME}`,
    project_path: source.path,
    project_id: source.id,
    namespace_path: source.namespace,
    job_project_path: env.CI_PROJECT_PATH,
    job_project_id: env.CI_PROJECT_ID,
    job_namespace_path: env.CI_PROJECT_NAMESPACE,
  };
}

/** The fork of MERGE_REQUEST_FROM_FORK as the token's project_* name it. */
export const FORK_PROJECT = { path: "contributor/app", id: "999", namespace: "contributor" } as const;

/** A scheduled pipeline on the default branch. */
export const SCHEDULED = {
  ...GITLAB_COM_BRANCH,
  CI_PIPELINE_SOURCE: "schedule",
  CI_PIPELINE_ID: "1002",
  CI_PIPELINE_URL: "https://gitlab.com/acme/app/-/pipelines/1002",
  CI_JOB_ID: "5006",
  CI_JOB_URL: "https://gitlab.com/acme/app/-/jobs/5006",
  GITLAB_USER_LOGIN: "schedule-owner",
} as const;

/**
 * Claims of the ID token GitLab would issue to the job these variables
 * describe (iss/aud/exp added by the signer), as gitlab-org/gitlab builds them
 * (lib/gitlab/ci/jwt.rb, jwt_v2.rb): `ref` is Ci::Pipeline#source_ref and
 * `ref_path` #source_ref_path, which in a merge request pipeline are the source
 * branch and refs/heads/<source branch>, `ref_type` "branch"; the same ref
 * ends `ci_config_ref_uri`.
 */
export function claimsFor(env: Readonly<Record<string, string | undefined>>): Record<string, unknown> {
  const ref = env.CI_COMMIT_TAG ?? env.CI_COMMIT_BRANCH ?? env.CI_MERGE_REQUEST_SOURCE_BRANCH_NAME!;
  const refType = env.CI_COMMIT_TAG ? "tag" : "branch";
  const refPath = `${refType === "tag" ? "refs/tags/" : "refs/heads/"}${ref}`;
  const host = new URL(env.CI_SERVER_URL!).host;
  return {
    sub: `project_path:${env.CI_PROJECT_PATH}:ref_type:${refType}:ref:${ref}`,
    namespace_id: "1",
    namespace_path: env.CI_PROJECT_NAMESPACE,
    project_id: env.CI_PROJECT_ID,
    project_path: env.CI_PROJECT_PATH,
    user_id: "9",
    user_login: env.GITLAB_USER_LOGIN,
    user_email: "jdoe@example.com",
    pipeline_id: env.CI_PIPELINE_ID,
    pipeline_source: env.CI_PIPELINE_SOURCE,
    job_id: env.CI_JOB_ID,
    ref,
    ref_type: refType,
    ref_path: refPath,
    ref_protected: env.CI_COMMIT_REF_PROTECTED,
    runner_id: Number(env.CI_RUNNER_ID),
    runner_environment: "gitlab-hosted",
    sha: env.CI_COMMIT_SHA,
    project_visibility: "private",
    ci_config_ref_uri: `${host}/${env.CI_PROJECT_PATH}//${env.CI_CONFIG_PATH}@${refPath}`,
    ci_config_sha: env.CI_COMMIT_SHA,
  };
}
