import { parseWith } from "@provenant/core";
import { z } from "zod";

// GitLab sends most ids as strings ("pipeline_id": "455") but `runner_id` as a
// number, and older instances send null for claims they do not know. Both
// shapes come from GitLab's "ID token payload" docs and sample payloads in
// gitlab-org/gitlab!116867 and !122373.
const Id = z.union([z.string(), z.number()]).transform(String);
const OptionalText = z
  .string()
  .nullish()
  .transform((value) => (value ? value : undefined));
const OptionalId = z
  .union([z.string(), z.number()])
  .nullish()
  .transform((value) => (value === null || value === undefined || value === "" ? undefined : String(value)));

/**
 * The claims of a GitLab CI/CD ID token (`id_tokens:`) that Provenant reads.
 * Unknown claims are kept out: only these reach the provenance.
 */
export const GitLabClaimsSchema = z.object({
  iss: z.string(),
  project_path: z.string().min(1),
  project_id: OptionalId,
  namespace_path: OptionalText,
  // The project the job runs in (gitlab-org/gitlab!202241, after issue 548165
  // made project_* name a merge request's source project, a fork, in parent
  // pipelines from GitLab 18.2.2). Absent from older instances' tokens, whose
  // project_* always name the job's project.
  job_project_path: OptionalText,
  job_project_id: OptionalId,
  job_namespace_path: OptionalText,
  // A merge request's source project (gitlab-org/gitlab!258245); where absent,
  // project_path says the same when the job_project_* claims are present.
  source_project_path: OptionalText,
  sha: z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, "expected a 40 or 64 character lowercase hex commit"),
  ref: z.string().min(1),
  ref_type: z.enum(["branch", "tag"]),
  ref_path: OptionalText,
  // "true" / "false" as strings; an empty string on instances that predate it.
  ref_protected: z
    .union([z.string(), z.boolean()])
    .nullish()
    .transform((value) => (value === true || value === "true" ? true : value === false || value === "false" ? false : undefined)),
  pipeline_id: Id,
  pipeline_source: OptionalText,
  job_id: Id,
  runner_id: OptionalId,
  runner_environment: z
    .enum(["gitlab-hosted", "self-hosted"])
    .nullish()
    .transform((value) => value ?? undefined),
  ci_config_ref_uri: OptionalText,
  ci_config_sha: OptionalText,
  user_login: OptionalText,
  environment: OptionalText,
});

export type GitLabClaims = z.output<typeof GitLabClaimsSchema>;

/** Claims without which the token cannot stand in for the variables. */
export const REQUIRED_CLAIMS = ["project_path", "sha", "ref", "ref_type", "pipeline_id", "job_id"] as const;

export function parseGitLabClaims(claims: Record<string, unknown>): GitLabClaims {
  return parseWith(GitLabClaimsSchema, claims, "TOKEN_INVALID", "GitLab ID token claims");
}

/**
 * `ci_config_ref_uri` looks like `gitlab.com/acme/app//.gitlab-ci.yml@refs/heads/main`
 * (GitLab docs, "ID token payload"): the project, `//`, the config path, `@`, the ref.
 */
export function splitConfigRefUri(configRefUri: string): { project: string; path: string; ref: string } | undefined {
  const split = configRefUri.indexOf("//");
  // A ref may hold "@" itself (`refs/tags/@scope/pkg@1.0.0`): split at "@refs/".
  const at = configRefUri.indexOf("@refs/", split);
  if (split <= 0 || at < split + 3) return undefined;
  const ref = configRefUri.slice(at + 1);
  if (!ref.startsWith("refs/")) return undefined;
  return { project: configRefUri.slice(0, split), path: configRefUri.slice(split + 2, at), ref };
}
