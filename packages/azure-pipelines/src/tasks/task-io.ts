/** What a task's `run` may do besides reading files: passed in so tests and entries differ only here. */
export interface TaskIo {
  log(message: string): void;
  warn(message: string): void;
  fetch: typeof globalThis.fetch;
  now(): Date;
  /** Registers a secret obtained while running (the job's OIDC token) with the agent's log masking. */
  mask?(secret: string): void;
}
