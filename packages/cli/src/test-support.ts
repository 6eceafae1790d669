import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Io } from "./io.js";
import { main } from "./main.js";

/** A scratch directory removed by the returned cleanup. */
export async function scratch(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "provenant-cli-"));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Runs the CLI in-process and captures what a user would see. */
export async function runCli(
  args: string[],
  options: { cwd: string; env?: Record<string, string | undefined>; isTTY?: boolean; stdoutIsTTY?: boolean },
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io: Io = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    env: options.env ?? {},
    cwd: options.cwd,
    isTTY: options.isTTY ?? false,
    stdoutIsTTY: options.stdoutIsTTY ?? false,
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}
