import type { Environment } from "@provenant/core";
import type { SubjectsIo } from "@provenant/subjects";

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

/**
 * What the shared operations (subject resolution, registry pushes and
 * verification) write to and read from; the CLI's own `Io` has this shape.
 */
export type Io = SubjectsIo & { stdout: (text: string) => void; isTTY: boolean };

/** The shared operations' view of the step: its output goes to the step log, warnings as warnings. */
export function actionIo(context: ActionContext, env: Environment = context.env): Io {
  return { stdout: context.info, stderr: (text) => context.warn(text.trimEnd()), env, cwd: context.cwd, isTTY: false };
}
