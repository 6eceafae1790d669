import { ProvenantError } from "@provenant/core/base";

// File reading and writing lives below the front ends, beside subject resolution.
export { readTextFile, replaceFileAtomically, replaceFilesAtomically } from "@provenant/subjects";

/** Everything a command touches outside itself, so tests can run commands in-process. */
export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** stderr is a terminal: progress bars are allowed. */
  isTTY: boolean;
  /** stdout is a terminal: colour is allowed (what is redirected to a file stays plain). */
  stdoutIsTTY?: boolean;
  /** Asks for a secret without echo; present only when stdin and stderr are terminals. */
  promptSecret?: (question: string) => Promise<string>;
}

export function processIo(): Io {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    isTTY: Boolean(process.stderr.isTTY),
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    ...(process.stdin.isTTY && process.stderr.isTTY
      ? { promptSecret: async (question: string) => (await import("./terminal/prompt.js")).promptSecret(question) }
      : {}),
  };
}

export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ProvenantError(
      "MALFORMED_JSON",
      `${what} is not valid JSON (${(error as Error).message}); expected a Sigstore bundle or DSSE envelope`,
      { cause: error },
    );
  }
}
