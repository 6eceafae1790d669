import type { Environment } from "@provenant/core";

/** What an action's `run` may touch; the entry fills it from the runner. */
export interface ActionContext {
  env: Environment;
  /** The workspace: relative input paths resolve here. */
  cwd: string;
  fetch: typeof globalThis.fetch;
  info: (message: string) => void;
  warn: (message: string) => void;
  now: () => Date;
}
