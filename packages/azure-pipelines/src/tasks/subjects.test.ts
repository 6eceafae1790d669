import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { subjectsOf } from "./subjects.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "provenant-azure-subjects-"));
  await mkdir(join(dir, "repo/.git"), { recursive: true });
  await mkdir(join(dir, "repo/out/bin"), { recursive: true });
  await writeFile(join(dir, "repo/out/bin/app"), "app");
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const sha = (text: string) => createHash("sha256").update(text).digest("hex");

describe("subjectsOf", () => {
  it("names files relative to the repository root from a working directory below it, as the CLI does", async () => {
    const options = { workingDirectory: join(dir, "repo/out"), what: "subject", warn: () => {} };
    for (const pattern of ["bin/app", "bin/*", "bin", "**/app"]) {
      expect(await subjectsOf([pattern], options)).toEqual([{ name: "out/bin/app", digest: { sha256: sha("app") } }]);
    }
  });

  it("names files relative to subjectRoot, and refuses a file outside it", async () => {
    const options = { workingDirectory: join(dir, "repo/out"), what: "subject", warn: () => {} };
    expect(await subjectsOf(["bin/app"], { ...options, subjectRoot: "bin" })).toEqual([{ name: "app", digest: { sha256: sha("app") } }]);
    await writeFile(join(dir, "repo/top"), "top");
    await expect(subjectsOf(["../top"], { ...options, subjectRoot: "." })).rejects.toMatchObject({ code: "SUBJECT_OUTSIDE_ROOT" });
  });

  it("fails verify's resolution on what a walk leaves out, and without patterns", async () => {
    await mkdir(join(dir, "outside"));
    await writeFile(join(dir, "outside/secret"), "host");
    await symlink(join(dir, "outside/secret"), join(dir, "repo/out/bin/escape"));
    const options = { workingDirectory: join(dir, "repo/out"), what: "artifact", warn: () => {} };
    await expect(subjectsOf(["bin"], { ...options, refuseSkipped: true })).rejects.toMatchObject({ code: "UNVERIFIABLE_ARTIFACT" });
    await expect(subjectsOf([], options)).rejects.toMatchObject({ code: "EMPTY_SUBJECTS" });
  });
});
