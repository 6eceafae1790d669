import * as core from "@actions/core";
import { isProvenantError } from "@provenant/core";
import type { ActionContext } from "./context.js";

/** The runner's side of an ActionContext; only entries call this. */
export function runnerContext(): ActionContext {
  return {
    env: process.env,
    // The runner starts actions in the workspace; GITHUB_WORKSPACE says so explicitly.
    cwd: process.env.GITHUB_WORKSPACE || process.cwd(),
    fetch: globalThis.fetch,
    info: (message) => core.info(message),
    warn: (message) => core.warning(message),
    now: () => new Date(),
    mask: (secret) => core.setSecret(secret),
  };
}

/** A bad input names its code and what was expected; anything else is a bug, shown as such. */
export function failureMessage(error: unknown): string {
  if (isProvenantError(error)) return `[${error.code}] ${error.message}`;
  return `unexpected error: ${(error as Error)?.message ?? String(error)}`;
}

export async function writeSummary(markdown: string): Promise<void> {
  // Outside a real runner (local-action without the file) there is no summary to write to.
  if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(markdown).write();
}
