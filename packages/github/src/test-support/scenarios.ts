import { mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { GitHubClaims } from "../facts/claims.js";
import { CLAIM_VARIABLES } from "../facts/environment.js";

// Real webhook payloads as GitHub sends them, collected by Octokit
// (@octokit/webhooks-examples); the event file at GITHUB_EVENT_PATH holds
// exactly such a payload.
export interface ExamplePayload {
  action?: string;
  ref?: string;
  after?: string;
  created?: boolean;
  deleted?: boolean;
  number?: number;
  workflow?: string;
  inputs?: Record<string, string | boolean>;
  repository: { full_name: string; id: number; owner: { login: string; id: number } };
  pull_request?: { head: { ref: string }; base: { ref: string } };
}
interface WebhookExample {
  name: string;
  examples: ExamplePayload[];
}
const examples = createRequire(import.meta.url)("@octokit/webhooks-examples/api.github.com/index.json") as WebhookExample[];

function example(event: string, pick: (payload: ExamplePayload) => boolean): ExamplePayload {
  const found = examples.find((e) => e.name === event)?.examples.find(pick);
  if (!found) throw new Error(`no ${event} example in @octokit/webhooks-examples`);
  return structuredClone(found);
}

export interface Scenario {
  name: string;
  serverUrl: string;
  /** The claims GitHub puts in the job's ID token, shaped as in GitHub's documented example token. */
  claims: GitHubClaims & Record<string, string>;
  payload: ExamplePayload;
}

function claimsFrom(payload: ExamplePayload, event: string, ref: string, sha: string, workflowPath: string): Scenario["claims"] {
  const repository = payload.repository.full_name;
  return {
    sub: `repo:${repository}:ref:${ref}`,
    ref,
    ref_type: ref.startsWith("refs/tags/") ? "tag" : "branch",
    sha,
    repository,
    repository_owner: payload.repository.owner.login,
    repository_id: String(payload.repository.id),
    repository_owner_id: String(payload.repository.owner.id),
    repository_visibility: "private",
    actor: "octocat",
    actor_id: "583231",
    workflow: "release",
    workflow_ref: `${repository}/${workflowPath}@${ref}`,
    workflow_sha: sha,
    job_workflow_ref: `${repository}/${workflowPath}@${ref}`,
    job_workflow_sha: sha,
    event_name: event,
    run_id: "7543891234",
    run_number: "42",
    run_attempt: "2",
    runner_environment: "github-hosted",
    head_ref: "",
    base_ref: "",
  };
}

export function pushToBranch(): Scenario {
  const payload = example("push", (p) => p.ref === "refs/heads/master" && !p.deleted);
  return { name: "push to a branch", serverUrl: "https://github.com", payload, claims: claimsFrom(payload, "push", payload.ref!, payload.after!, ".github/workflows/ci.yml") };
}

export function pushTag(): Scenario {
  const payload = example("push", (p) => Boolean(p.ref?.startsWith("refs/tags/") && p.created && !/^0+$/.test(p.after ?? "0")));
  return { name: "tag push", serverUrl: "https://github.com", payload, claims: claimsFrom(payload, "push", payload.ref!, payload.after!, ".github/workflows/release.yml") };
}

export function pullRequest(): Scenario {
  const payload = example("pull_request", (p) => p.action === "opened");
  const ref = `refs/pull/${payload.number}/merge`;
  // GITHUB_SHA of a pull_request run is the test merge commit.
  const claims = claimsFrom(payload, "pull_request", ref, "b1c7c3f57b2d7b6a1f5e3d2c1b0a99887766554f", ".github/workflows/ci.yml");
  claims.head_ref = payload.pull_request!.head.ref;
  claims.base_ref = payload.pull_request!.base.ref;
  return { name: "pull request", serverUrl: "https://github.com", payload, claims };
}

export function workflowDispatch(): Scenario {
  const payload = example("workflow_dispatch", (p) => p.ref === "refs/heads/main");
  // The example run had no inputs; a release workflow would have some.
  payload.inputs = { version: "1.4.0", "dry-run": false };
  const claims = claimsFrom(payload, "workflow_dispatch", payload.ref!, "3f9a0c1e2d4b5a6978877665544332211009f8e7", payload.workflow!);
  return { name: "workflow_dispatch", serverUrl: "https://github.com", payload, claims };
}

export function reusableWorkflow(): Scenario {
  const scenario = pushTag();
  // A caller's job that `uses:` a shared builder: the token names the
  // called workflow in job_workflow_ref, the caller in workflow_ref.
  scenario.claims.job_workflow_ref = "octo-org/builders/.github/workflows/build-and-attest.yml@refs/tags/v2.1.0";
  scenario.claims.job_workflow_sha = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d";
  return { ...scenario, name: "reusable workflow" };
}

export function gheCom(): Scenario {
  const scenario = pushToBranch();
  return { ...scenario, name: "GHE.com tenant", serverUrl: "https://octocorp.ghe.com" };
}

export const SCENARIOS = [pushToBranch, pushTag, pullRequest, workflowDispatch, reusableWorkflow, gheCom];

/** Writes the payload where GITHUB_EVENT_PATH will point. */
export function writeEventFile(payload: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), "provenant-github-event-")), "event.json");
  writeFileSync(path, JSON.stringify(payload));
  return path;
}

/** The variables the runner sets for the same job ("Default environment variables"). */
export function runnerEnvironment(scenario: Scenario): Record<string, string> {
  const env: Record<string, string> = {
    GITHUB_ACTIONS: "true",
    CI: "true",
    GITHUB_SERVER_URL: scenario.serverUrl,
    GITHUB_EVENT_PATH: writeEventFile(scenario.payload),
  };
  for (const [claim, variable] of Object.entries(CLAIM_VARIABLES)) {
    if (claim !== "job_workflow_ref") env[variable] = scenario.claims[claim as keyof GitHubClaims];
  }
  return env;
}
