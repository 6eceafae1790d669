import type { GitHubClaims } from "./claims.js";

/**
 * When the run attempt started, from the REST API ("Get a workflow run
 * attempt": `run_started_at`). Needs a token with `actions: read`; returns
 * undefined with a warning when the API cannot answer, since the time is
 * an extra, not a fact the provenance depends on.
 */
export async function runStartedOn(
  claims: GitHubClaims,
  options: { token: string; apiUrl: string; fetch: typeof globalThis.fetch; warn: (message: string) => void },
): Promise<string | undefined> {
  const [owner, repo] = claims.repository.split("/") as [string, string];
  try {
    // Loaded only here: importing @actions/github reads GITHUB_EVENT_PATH and
    // may print to stdout, which must not happen on every CLI run.
    const { getOctokit } = await import("@actions/github");
    const octokit = getOctokit(options.token, { baseUrl: options.apiUrl, request: { fetch: options.fetch, retries: 0 } });
    const { data } = await octokit.rest.actions.getWorkflowRunAttempt({
      owner,
      repo,
      run_id: Number(claims.run_id),
      attempt_number: Number(claims.run_attempt),
    });
    const started = data.run_started_at ? new Date(data.run_started_at) : undefined;
    if (!started || Number.isNaN(started.getTime())) {
      options.warn(`the run attempt at ${options.apiUrl} has no run_started_at; provenance records no start time`);
      return undefined;
    }
    return started.toISOString();
  } catch (error) {
    options.warn(
      `cannot read the run's start time from ${options.apiUrl} (${(error as Error).message}); provenance records no start time`,
    );
    return undefined;
  }
}
