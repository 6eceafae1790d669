import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The bundled single-file CLI, exactly what CI images and shims run. */
export const CLI = fileURLToPath(new URL("../../dist/provenant.mjs", import.meta.url));

/** Debian's interpreter: it is the one `apt-get install python3-cryptography` provides for. */
export const PYTHON = "/usr/bin/python3";
export const PYTHON_SCRIPT = fileURLToPath(new URL("./dsse_interop.py", import.meta.url));

export interface ProcessResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

// A minimal environment: CI variables of the machine running the suite
// (GITHUB_ACTIONS, GITLAB_CI, ...) must not leak into platform detection.
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", NO_COLOR: "1", ...extra };
}

export function runCli(args: readonly string[], cwd: string): ProcessResult {
  if (!existsSync(CLI)) {
    throw new Error(`${CLI} is missing: build the CLI first (pnpm --filter @provenant/cli build)`);
  }
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd, env: cleanEnv(), encoding: "utf8" });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs the CLI and fails the test with its stderr when it does not exit 0. */
export function runCliOk(args: readonly string[], cwd: string): string {
  const result = runCli(args, cwd);
  if (result.status !== 0) {
    throw new Error(`provenant ${args.join(" ")} exited ${result.status}:\n${result.stderr}${result.stdout}`);
  }
  return result.stdout;
}

export function runPython(args: readonly string[], cwd: string): ProcessResult {
  const result = spawnSync(PYTHON, [PYTHON_SCRIPT, ...args], { cwd, env: cleanEnv(), encoding: "utf8" });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Fails (never skips) when Debian's python3-cryptography is missing, naming
 * what to install: the interoperability claim is only tested if this runs.
 */
export function requirePythonCryptography(): void {
  const probe = spawnSync(PYTHON, ["-c", "import cryptography"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `${PYTHON} with the cryptography module is required for the DSSE interoperability tests: ` +
        "run `apt-get install python3-cryptography` (scripts/test installs it)",
    );
  }
}

export function temporaryDirectory(): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), "provenant-interop-"));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
