import { mkdir, open, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { resolveSubjects } from "@provenant/subjects";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Io } from "../io.js";
import { scratch } from "../test-support.js";
import { subjectProgress } from "./progress.js";

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await scratch());
});
afterEach(() => cleanup());

function captured(isTTY: boolean): { io: Io; lines: string[] } {
  const lines: string[] = [];
  return { io: { stdout: () => {}, stderr: (t) => void lines.push(t), env: {}, cwd: dir, isTTY }, lines };
}

describe("subjectProgress", () => {
  it("moves the bar while one large file is still being hashed", async () => {
    const handle = await open(join(dir, "disk.img"), "w");
    await handle.truncate(200 * 1048576); // sparse: 200 MiB to hash, almost nothing on disk
    await handle.close();
    const { io, lines } = captured(true);
    await resolveSubjects({ patterns: ["disk.img"], checksumFiles: [], digests: [], progress: subjectProgress(io, true) }, io);
    // Drawn before the file was done: 0 of 1 files, part of the bytes.
    expect(lines.some((line) => /\] +\d+% {2}0\/1 files {2}(64|128|192) MiB/.test(line))).toBe(true);
  });

  it("draws a bar on a terminal for long runs, and never under --json, in a pipe or for a short run", async () => {
    await mkdir(join(dir, "many"));
    await Promise.all(Array.from({ length: 1200 }, (_, i) => writeFile(join(dir, "many", `f${i}`), `${i}`)));
    await writeFile(join(dir, "one"), "1");
    const run = async (isTTY: boolean, allowed: boolean, pattern = "many") => {
      const { io, lines } = captured(isTTY);
      await resolveSubjects({ patterns: [pattern], checksumFiles: [], digests: [], progress: subjectProgress(io, allowed) }, io);
      return lines.join("");
    };
    expect(await run(true, true)).toMatch(/\] +\d+% {2}\d+\/1200 files/);
    expect(await run(true, false)).toBe("");
    expect(await run(false, true)).toBe("");
    expect(await run(true, true, "one")).toBe("");
  });
});
