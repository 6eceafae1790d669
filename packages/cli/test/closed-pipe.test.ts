import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const BIN = fileURLToPath(new URL("../dist/bin/provenant.mjs", import.meta.url));
let dir: string;

beforeAll(async () => {
  if (!existsSync(BIN)) throw new Error('packages/cli/dist/bin/provenant.mjs is missing: run "pnpm --filter @provenant/cli build" first');
  dir = await mkdtemp(join(tmpdir(), "provenant-pipe-"));
  // Far more output than a pipe holds (64 KiB), so the CLI is still writing when the reader leaves.
  await mkdir(join(dir, "out"));
  await Promise.all(Array.from({ length: 3000 }, (_, i) => writeFile(join(dir, "out", `artifact-with-a-long-name-${i}.bin`), `content ${i}`)));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("a reader that closes the pipe early", () => {
  it("stops the command quietly, as `provenant subjects . | head -1` expects", async () => {
    const child = spawn(process.execPath, [BIN, "subjects", "out"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    // Read the first chunk, then close our end, as head does after its line.
    const first = await new Promise<string>((resolve) => child.stdout.once("data", (chunk: Buffer) => resolve(chunk.toString("utf8"))));
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
    expect(first).toMatch(/^sha256:[0-9a-f]{64} {2}out\/artifact-with-a-long-name-/);
    expect(stderr).not.toMatch(/EPIPE|Error:|at /);
    expect(code).toBe(0);
  });
});
