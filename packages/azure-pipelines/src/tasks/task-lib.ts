import { Writable } from "node:stream";
import * as tl from "azure-pipelines-task-lib/task";

/** Registers a secret with the agent, line by line: the task library refuses multi-line secrets, and a PEM key is one. */
export function maskSecret(value: string | undefined): string | undefined {
  if (!value) return value;
  for (const line of value.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed !== "" && !/^-----(BEGIN|END) /.test(trimmed)) tl.setSecret(trimmed);
  }
  return value;
}

const discard = new Writable({ write: (_chunk, _encoding, done) => done() });

/**
 * Reads a secret without the task library's debug echo (`name=value`) and
 * masks it before anything else is printed. The agent masks the secrets it
 * knows, but a value should never reach the log in clear in the first place.
 */
export function readSecret(read: () => string | undefined): string | undefined {
  tl.setStdStream(discard);
  let value: string | undefined;
  try {
    value = read();
  } finally {
    tl.setStdStream(process.stdout);
  }
  return maskSecret(value?.trim() ? value : undefined);
}

export function optionalInput(name: string): string | undefined {
  const value = tl.getInput(name, false)?.trim();
  return value ? value : undefined;
}

export function lineInputs(name: string, required = false): string[] {
  return tl
    .getDelimitedInput(name, "\n", required)
    .map((line) => line.trim())
    .filter(Boolean);
}
