import type { Environment, VariableDisagreement } from "@provenant/core";
import { type GitHubClaims, parseClaims } from "./claims.js";
import type { EventPayload } from "./event.js";

/**
 * Where each claim's value lives among the variables GitHub sets on every
 * runner ("Default environment variables", docs.github.com). There is no
 * variable for `job_workflow_ref`: inside a reusable workflow the variables
 * only name the caller, which is one reason env-only facts rank lower.
 */
export const CLAIM_VARIABLES: Record<keyof GitHubClaims, string> = {
  ref: "GITHUB_REF",
  sha: "GITHUB_SHA",
  repository: "GITHUB_REPOSITORY",
  repository_id: "GITHUB_REPOSITORY_ID",
  repository_owner_id: "GITHUB_REPOSITORY_OWNER_ID",
  event_name: "GITHUB_EVENT_NAME",
  workflow_ref: "GITHUB_WORKFLOW_REF",
  job_workflow_ref: "GITHUB_WORKFLOW_REF",
  run_id: "GITHUB_RUN_ID",
  run_attempt: "GITHUB_RUN_ATTEMPT",
  runner_environment: "RUNNER_ENVIRONMENT",
};

const idOf = (value: number | string | undefined) => (value === undefined ? undefined : String(value));

/**
 * The token's claims rebuilt from variables a build step can change
 * (`echo GITHUB_SHA=… >> $GITHUB_ENV`); used only when the job has no ID
 * token. Older runners lack the numeric-id variables; the event payload has
 * the same ids under `repository`.
 */
export function claimsFromEnvironment(env: Environment, payload: EventPayload | undefined): GitHubClaims {
  const values: Record<string, string | undefined> = {};
  for (const [claim, variable] of Object.entries(CLAIM_VARIABLES)) values[claim] = env[variable];
  values.repository_id ||= idOf(payload?.repository?.id);
  values.repository_owner_id ||= idOf(payload?.repository?.owner?.id);
  return parseClaims(values, (claim) => CLAIM_VARIABLES[claim]);
}

/** A GITHUB_* variable that contradicted the verified token (core's shape, which inspect and verify read). */
export type Disagreement = VariableDisagreement;

/**
 * Variables that differ from the verified claims. The token wins; a
 * difference means a step rewrote a variable (or a runner bug), which an
 * auditor wants to see. `job_workflow_ref` has no variable of its own.
 */
export function disagreementsWith(claims: GitHubClaims, env: Environment): Disagreement[] {
  const found: Disagreement[] = [];
  for (const [claim, variable] of Object.entries(CLAIM_VARIABLES) as [keyof GitHubClaims, string][]) {
    const variableValue = env[variable];
    if (claim === "job_workflow_ref" || variableValue === undefined || variableValue === "") continue;
    if (variableValue !== claims[claim]) found.push({ variable, claim, variableValue, claimValue: claims[claim] });
  }
  return found;
}
