import type { Io } from "@provenant/cli";
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
  /** Registers a secret with the runner's log masking; tests may leave it out. */
  mask?: (secret: string) => void;
}

/** The CLI's view of the step: its output goes to the step log, warnings as warnings. */
export function actionIo(context: ActionContext, env: Environment = context.env): Io {
  return { stdout: context.info, stderr: (text) => context.warn(text.trimEnd()), env, cwd: context.cwd, isTTY: false };
}
