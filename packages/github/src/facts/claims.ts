import { ProvenantError } from "@provenant/core";
import * as z from "zod/mini";

/**
 * The claims of GitHub's Actions ID token this adapter relies on; the same
 * set @actions/attest requires before it builds provenance. Names and string
 * types follow GitHub's documented token example ("Understanding the OIDC
 * token", docs.github.com), where even numeric ids are strings.
 */
export const REQUIRED_CLAIMS = [
  "iss",
  "ref",
  "sha",
  "repository",
  "repository_id",
  "repository_owner_id",
  "event_name",
  "workflow_ref",
  "job_workflow_ref",
  "run_id",
  "run_attempt",
  "runner_environment",
] as const;

const nonEmpty = z.string().check(z.minLength(1));
const numericId = z.string().check(z.regex(/^\d+$/, { message: "expected a numeric id" }));
const workflowRef = z.string().check(z.includes("@", { message: "expected owner/repo/path@ref" }));

export const GitHubClaimsSchema = z.object({
  ref: nonEmpty,
  sha: z.string().check(z.regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, { message: "expected a lowercase hex git commit id" })),
  repository: z.string().check(z.regex(/^[^/\s]+\/[^/\s]+$/, { message: "expected owner/name" })),
  repository_id: numericId,
  repository_owner_id: numericId,
  event_name: nonEmpty,
  workflow_ref: workflowRef,
  job_workflow_ref: workflowRef,
  run_id: numericId,
  run_attempt: numericId,
  runner_environment: nonEmpty,
});

/** What the provenance is made of, whether it came from the token or the environment. */
export type GitHubClaims = z.infer<typeof GitHubClaimsSchema>;

/**
 * Checks values read from an untrusted place (token claims after their
 * signature verified, or environment variables) and names the bad field as
 * the place calls it, e.g. the `sha` claim or `GITHUB_SHA`.
 */
export function parseClaims(values: Record<string, unknown>, nameOf: (claim: keyof GitHubClaims) => string): GitHubClaims {
  const parsed = z.safeParse(GitHubClaimsSchema, values);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const claim = String(issue.path[0]) as keyof GitHubClaims;
  const value = values[claim];
  if (value === undefined || value === null || value === "") {
    throw new ProvenantError("PLATFORM_FACTS_MISSING", `${nameOf(claim)} is missing; expected it to be set by GitHub Actions`);
  }
  throw new ProvenantError(
    "PLATFORM_FACTS_MISSING",
    `${nameOf(claim)} is ${JSON.stringify(value).slice(0, 100)}; ${issue.message.replace(/^Invalid input: /, "")}`,
  );
}
