// Documented platform claim sets for tests and benches that sign job tokens
// with a test issuer (exported from @provenant/oidc/testing only).

export const JOB_COMMIT = "0123456789abcdef0123456789abcdef01234567";

/**
 * A GitLab CI job's ID-token claims, as GitLab documents them ("OpenID
 * Connect (OIDC) Authentication Using ID Tokens"), for an instance at `host`.
 * The caller adds iat/nbf/exp and any overrides.
 */
export function gitlabJobClaims(host: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sub: "project_path:acme/app:ref_type:branch:ref:main",
    namespace_id: "1",
    namespace_path: "acme",
    project_id: "22",
    project_path: "acme/app",
    user_id: "9",
    user_login: "jdoe",
    user_email: "jdoe@example.com",
    pipeline_id: "1001",
    pipeline_source: "push",
    job_id: "5006",
    ref: "main",
    ref_type: "branch",
    ref_path: "refs/heads/main",
    ref_protected: "true",
    runner_id: 12,
    runner_environment: "gitlab-hosted",
    sha: JOB_COMMIT,
    project_visibility: "private",
    ci_config_ref_uri: `${host}/acme/app//.gitlab-ci.yml@refs/heads/main`,
    ci_config_sha: JOB_COMMIT,
    ...overrides,
  };
}
