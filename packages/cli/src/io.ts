import { randomBytes } from "node:crypto";
import { chmod, open, readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ProvenantError } from "@provenant/core";

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

/**
 * Writes through a temp file in the same directory and renames it into
 * place, so a crash or a full disk never leaves a half-written bundle or key.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  await writeFilesAtomic([{ path, data, mode }]);
}

/**
 * Writes every file to its temp file first and renames them into place only
 * when all were written, so a key pair is never left half new: a full disk
 * while writing the public key leaves both old files as they were.
 */
export async function writeFilesAtomic(files: readonly { path: string; data: string | Uint8Array; mode: number }[]): Promise<void> {
  const temps = files.map((file) => join(dirname(file.path), `.${basename(file.path)}.${randomBytes(6).toString("hex")}.tmp`));
  let current = files[0]?.path ?? "";
  try {
    for (const [i, file] of files.entries()) {
      current = file.path;
      const handle = await open(temps[i]!, "wx", file.mode);
      try {
        await handle.writeFile(file.data);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await chmod(temps[i]!, file.mode);
    }
    for (const [i, file] of files.entries()) {
      current = file.path;
      await rename(temps[i]!, file.path);
    }
  } catch (error) {
    await Promise.all(temps.map((temp) => rm(temp, { force: true })));
    throw new ProvenantError("IO_ERROR", `could not write ${current}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

export async function readTextFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (error as Error).message;
    throw new ProvenantError("IO_ERROR", `cannot read ${what} ${path}: ${why}`, { cause: error });
  }
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
