import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { isProvenantError } from "@provenant/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { resolveSubjects, type SubjectInputs } from "./resolve.js";
import { scratch } from "./test-support.js";

const sha = (text: string) => createHash("sha256").update(text).digest("hex");
let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await scratch());
  // A repository with a release directory and a subdirectory the build runs in.
  await mkdir(join(dir, "repo/.git"), { recursive: true });
  await mkdir(join(dir, "repo/dist"));
  await mkdir(join(dir, "repo/tools/build"), { recursive: true });
  await writeFile(join(dir, "repo/dist/app-1.tgz"), "app");
  await writeFile(join(dir, "repo/dist/SHA256SUMS"), `${sha("app")}  app-1.tgz\n`);
});
afterEach(() => cleanup());

async function names(inputs: Partial<SubjectInputs>, cwd: string): Promise<string[]> {
  const subjects = await resolveSubjects({ patterns: [], checksumFiles: [], digests: [], ...inputs }, { cwd, env: {}, stderr: () => {} });
  return subjects.filter((s) => s.digest.sha256 === sha("app")).map((s) => s.name!);
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isProvenantError(error)) return error.code;
    throw error;
  }
  return "no error";
}

describe("subject names", () => {
  it("are the same by path, glob, directory and checksums file, from a subdirectory, relative to the repository root", async () => {
    const cwd = join(dir, "repo/tools/build");
    expect(await names({ patterns: ["../../dist/app-1.tgz"] }, cwd)).toEqual(["dist/app-1.tgz"]);
    expect(await names({ patterns: [join(dir, "repo/dist/app-1.tgz")] }, cwd)).toEqual(["dist/app-1.tgz"]);
    expect(await names({ patterns: ["../../dist/*.tgz"] }, cwd)).toEqual(["dist/app-1.tgz"]);
    expect(await names({ patterns: ["../../dist"] }, cwd)).toEqual(["dist/app-1.tgz"]);
    expect(await names({ checksumFiles: ["../../dist/SHA256SUMS"] }, cwd)).toEqual(["dist/app-1.tgz"]);
    // From the release directory itself (`attest ../app-1.tgz` from a subdirectory of it, too).
    await mkdir(join(dir, "repo/dist/sub"));
    expect(await names({ patterns: ["../app-1.tgz"] }, join(dir, "repo/dist/sub"))).toEqual(["dist/app-1.tgz"]);
    expect(await names({ patterns: ["app-1.tgz"], checksumFiles: ["SHA256SUMS"] }, join(dir, "repo/dist"))).toEqual(["dist/app-1.tgz"]);
  });

  it("are relative to --subject-root when given, whichever way the file is named", async () => {
    const cwd = join(dir, "repo/tools/build");
    const subjectRoot = "../../dist";
    for (const inputs of [{ patterns: ["../../dist/app-1.tgz"] }, { patterns: ["../../dist/*.tgz"] }, { patterns: ["../../dist"] }, { checksumFiles: ["../../dist/SHA256SUMS"] }]) {
      expect(await names({ ...inputs, subjectRoot }, cwd)).toEqual(["app-1.tgz"]);
    }
  });

  it("never are absolute or climb out with ..: a file outside the root is refused", async () => {
    await writeFile(join(dir, "elsewhere.tgz"), "app");
    await writeFile(join(dir, "repo/dist/OUTSIDE"), `${sha("app")}  ../../elsewhere.tgz\n`);
    const cwd = join(dir, "repo");
    expect(await codeOf(names({ patterns: ["../elsewhere.tgz"] }, cwd))).toBe("SUBJECT_OUTSIDE_ROOT");
    expect(await codeOf(names({ patterns: [join(dir, "elsewhere.tgz")] }, cwd))).toBe("SUBJECT_OUTSIDE_ROOT");
    expect(await codeOf(names({ checksumFiles: ["dist/OUTSIDE"] }, cwd))).toBe("SUBJECT_OUTSIDE_ROOT");
    expect(await codeOf(names({ patterns: ["dist/app-1.tgz"], subjectRoot: "no-such-dir" }, cwd))).toBe("USAGE");
    // With the root moved up, the same file has a name again.
    expect(await names({ patterns: ["../elsewhere.tgz"], subjectRoot: ".." }, cwd)).toEqual(["elsewhere.tgz"]);
  });

  it("are relative to the working directory outside any repository", async () => {
    await mkdir(join(dir, "plain/out"), { recursive: true });
    await writeFile(join(dir, "plain/out/app-1.tgz"), "app");
    expect(await names({ patterns: ["out/app-1.tgz"] }, join(dir, "plain"))).toEqual(["out/app-1.tgz"]);
  });
});
