import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, open, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isProvenantError } from "@provenant/core";
import { scratch } from "./test-support.js";
import { parseChecksums, parseDigestOption } from "./checksums.js";
import { collectFiles } from "./collect.js";
import { type HashJob, HashPool, hashFiles, worthWorkers } from "./hash.js";
import { prestartHashWorkers, takePrestartedWorkers } from "./hash-worker.js";
import { resolveSubjects } from "./resolve.js";
import { replaceFileAtomically } from "./files.js";

/** Two hash workers for one job (this thread hashing too unless `hashHere` is false), closed after it. */
async function withPool<T>(run: (pool: HashPool) => Promise<T>, hashHere = true): Promise<T> {
  const pool = new HashPool(2, { hashHere });
  try {
    return await run(pool);
  } finally {
    await pool.close();
  }
}

const sha = (text: string) => createHash("sha256").update(text).digest("hex");
let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await scratch());
});
afterEach(() => cleanup());

const io = () => ({ stdout: () => {}, stderr: () => {}, env: {}, cwd: dir, isTTY: false });

describe("collectFiles", () => {
  it("recurses into directories and names files relative to cwd", async () => {
    await mkdir(join(dir, "dist/sub"), { recursive: true });
    await writeFile(join(dir, "dist/a.tgz"), "a");
    await writeFile(join(dir, "dist/sub/b.tgz"), "b");
    const { files } = await collectFiles(["dist"], dir);
    expect(files.map((f) => f.name)).toEqual(["dist/a.tgz", "dist/sub/b.tgz"]);
  });

  it("lists a directory by name, each subdirectory in its place, links to files inside after the regular entries", async () => {
    await mkdir(join(dir, "out/b-dir/inner"), { recursive: true });
    await mkdir(join(dir, "out/d-dir"));
    for (const name of ["c.bin", "a.bin", "e.bin", "b-dir/z", "b-dir/inner/y", "d-dir/x", "B.bin"]) await writeFile(join(dir, "out", name), name);
    await symlink(join(dir, "out/e.bin"), join(dir, "out/0-link"));
    await symlink(join(dir, "out/d-dir/x"), join(dir, "out/f-link"));
    const { files } = await collectFiles(["out"], dir);
    // Code-unit order (capitals first), directories walked where they sort, then links: the link
    // to d-dir/x names nothing new (the file is listed by its own path), the one to e.bin neither.
    expect(files.map((f) => f.name)).toEqual(["out/B.bin", "out/a.bin", "out/b-dir/inner/y", "out/b-dir/z", "out/c.bin", "out/d-dir/x", "out/e.bin"]);
  });

  it("does not follow symbolic links that leave the root, and survives loops", async () => {
    await mkdir(join(dir, "outside"));
    await writeFile(join(dir, "outside/secret"), "host file");
    await mkdir(join(dir, "dist"));
    await writeFile(join(dir, "dist/app"), "app");
    await symlink(join(dir, "outside/secret"), join(dir, "dist/escape"));
    await symlink(join(dir, "outside"), join(dir, "dist/escape-dir"));
    await symlink(join(dir, "dist"), join(dir, "dist/loop"));
    await symlink(join(dir, "dist/app"), join(dir, "dist/alias"));
    const { files, skipped } = await collectFiles(["dist"], dir);
    expect(files.map((f) => f.name)).toEqual(["dist/app"]);
    expect(skipped.join("\n")).toContain("escape");
    expect(skipped.join("\n")).toContain("escape-dir");
  });

  it("applies the same rule to glob matches", async () => {
    await mkdir(join(dir, "dist"));
    await writeFile(join(dir, "secret.tgz"), "x");
    await writeFile(join(dir, "dist/ok.tgz"), "ok");
    await symlink(join(dir, "secret.tgz"), join(dir, "dist/leak.tgz"));
    const { files } = await collectFiles(["dist/*.tgz"], dir);
    expect(files.map((f) => f.name)).toEqual(["dist/ok.tgz"]);
  });

  it("walks a glob match that links to a directory inside the base, as a walk would", async () => {
    await mkdir(join(dir, "dist/real"), { recursive: true });
    await writeFile(join(dir, "dist/real/a.tgz"), "a");
    await mkdir(join(dir, "elsewhere"));
    await writeFile(join(dir, "elsewhere/b.tgz"), "b");
    await symlink(join(dir, "dist/real"), join(dir, "dist/current"));
    await symlink(join(dir, "elsewhere"), join(dir, "dist/escape"));
    const { files } = await collectFiles(["dist/cur*"], dir);
    expect(files.map((f) => f.name)).toEqual(["dist/current/a.tgz"]);
    // A link that leaves the base is still not followed.
    const error = await collectFiles(["dist/esc*"], dir).catch((e: unknown) => e);
    expect(isProvenantError(error, "NO_SUBJECTS_MATCHED")).toBe(true);
    // A link to a file inside the base is followed and named by its own path.
    await symlink(join(dir, "dist/real/a.tgz"), join(dir, "dist/latest.tgz"));
    expect((await collectFiles(["dist/*.tgz"], dir)).files.map((f) => f.name)).toEqual(["dist/latest.tgz"]);
    // Absolute globs and globs above cwd match the same files.
    expect((await collectFiles([join(dir, "dist/real/*.tgz")], join(dir, "dist"))).files.map((f) => f.name)).toEqual(["real/a.tgz"]);
    expect((await collectFiles(["../dist/real/*.tgz"], join(dir, "elsewhere"), undefined, { root: dir })).files.map((f) => f.name)).toEqual(["dist/real/a.tgz"]);
    // Above the root there is no name: never absolute, never `..`.
    const outside = await collectFiles(["../dist/real/*.tgz"], join(dir, "elsewhere")).catch((e: unknown) => e);
    expect(isProvenantError(outside, "SUBJECT_OUTSIDE_ROOT")).toBe(true);
  });

  it("removes duplicates named by several patterns", async () => {
    await writeFile(join(dir, "a.bin"), "a");
    const { files } = await collectFiles(["a.bin", "*.bin", "."], dir);
    expect(files).toHaveLength(1);
  });

  it("reports a glob or path that matches nothing", async () => {
    for (const pattern of ["dist/*.tgz", "missing.bin"]) {
      const error = await collectFiles([pattern], dir).catch((e: unknown) => e);
      expect(isProvenantError(error, "NO_SUBJECTS_MATCHED")).toBe(true);
      expect((error as Error).message).toContain(pattern);
    }
  });
});

describe("hashFiles", () => {
  it("gives each file's sha256 on the main thread and across workers", async () => {
    const jobs: HashJob[] = [];
    for (let i = 0; i < 300; i++) {
      const path = join(dir, `f${i}`);
      await writeFile(path, `content ${i}`);
      jobs.push({ path, size: `content ${i}`.length });
    }
    const big = join(dir, "big");
    await writeFile(big, Buffer.alloc(5 * 1048576 + 3, 7));
    jobs.push({ path: big, size: 5 * 1048576 + 3 });
    const parallel = await withPool((pool) => pool.finish(jobs));
    const serial = await hashFiles(jobs, undefined, 1);
    // Digests in the order of the files.
    expect(parallel[17]).toBe(sha("content 17"));
    expect(parallel[300]).toBe(createHash("sha256").update(Buffer.alloc(5 * 1048576 + 3, 7)).digest("hex"));
    expect(parallel).toEqual(serial);
    // Sent without sizes (a walk that did not stat), the workers read them from the open file;
    // the large file is handed back and hashed on its own, with the same digest.
    const unsized = await withPool((pool) => {
      for (const job of jobs) pool.add({ path: job.path, size: -1 });
      return pool.finish([]);
    });
    expect(unsized).toEqual(serial);
  });

  it("gives the same digests whether the workers alone or this thread too hash a pool's files", async () => {
    const jobs: HashJob[] = [];
    for (let i = 0; i < 2000; i++) {
      const path = join(dir, `s${i}`);
      const content = `small ${i}`.repeat(i % 50);
      await writeFile(path, content);
      // Sizes as a walk gives them: known, or unknown (-1) when it did not stat.
      jobs.push({ path, size: i % 2 ? content.length : -1 });
    }
    const big = join(dir, "big");
    await writeFile(big, Buffer.alloc(6 * 1048576 + 1, 9));
    jobs.push({ path: big, size: -1 });
    const serial = await hashFiles(jobs, undefined, 1);
    const workersOnly = await withPool((pool) => pool.finish(jobs), false);
    const shared = await withPool((pool) => {
      for (const job of jobs.slice(0, 1000)) pool.add(job);
      return pool.finish(jobs.slice(1000));
    }, true);
    expect(serial).toHaveLength(2001);
    expect(serial[7]).toBe(sha("small 7".repeat(7)));
    expect(serial[2000]).toBe(createHash("sha256").update(Buffer.alloc(6 * 1048576 + 1, 9)).digest("hex"));
    expect(workersOnly).toEqual(serial);
    expect(shared).toEqual(serial);
  });

  it("starts workers only for enough work to repay them", () => {
    expect(worthWorkers(300, 300 * 4096)).toBe(false);
    expect(worthWorkers(2, 4 * 1048576)).toBe(false);
    expect(worthWorkers(20_000, 0)).toBe(true);
    expect(worthWorkers(2, 1024 * 1048576)).toBe(true);
  });

  it("hashes what a file holds even when its size changed after the walk", async () => {
    const jobs: HashJob[] = [];
    for (let i = 0; i < 100; i++) {
      const path = join(dir, `g${i}`);
      await writeFile(path, `grown ${i}`);
      // The size the walk saw: too small, too large or right.
      jobs.push({ path, size: [1, 1000, `grown ${i}`.length][i % 3]! });
    }
    const digests = await withPool((pool) => pool.finish(jobs));
    for (let i = 0; i < 100; i++) expect(digests[i]).toBe(sha(`grown ${i}`));
  });

  it("reports a file that vanished after the walk as IO_ERROR, from the workers too", async () => {
    const jobs: HashJob[] = [];
    for (let i = 0; i < 1500; i++) {
      await writeFile(join(dir, `h${i}`), "x");
      jobs.push({ path: join(dir, `h${i}`), size: 1 });
    }
    jobs.push({ path: join(dir, "gone"), size: 1 });
    for (const error of [
      await hashFiles(jobs, undefined, 1).catch((e: unknown) => e),
      await withPool((pool) => pool.finish(jobs)).catch((e: unknown) => e),
      // Only the workers see it: the message from the worker names it the same way.
      await withPool((pool) => pool.finish(jobs), false).catch((e: unknown) => e),
      // Many batches, sizes unknown as a walk without stat gives them: the
      // last batches are shared between this thread and the workers, and
      // whichever meets the file reports it the same way.
      await withPool(
        (pool) => pool.finish(jobs.map((j) => ({ path: j.path, size: -1 }))),
        true,
      ).catch((e: unknown) => e),
    ]) {
      expect(isProvenantError(error, "IO_ERROR")).toBe(true);
      expect((error as Error).message).toContain("gone");
    }
  });

  it("feeds the workers while a directory is still being walked, with the same digests", async () => {
    await mkdir(join(dir, "tree/a"), { recursive: true });
    await mkdir(join(dir, "tree/b"));
    // More files than worthWorkers asks for, so that the walk starts the workers.
    await Promise.all(Array.from({ length: 4200 }, (_, i) => writeFile(join(dir, `tree/${i % 2 ? "a" : "b"}/f${i}`), `file ${i}`)));
    await writeFile(join(dir, "tree/big1"), Buffer.alloc(5 * 1048576, 1));
    await writeFile(join(dir, "tree/big2"), Buffer.alloc(5 * 1048576, 2));
    const subjects = await resolveSubjects({ patterns: ["tree"], checksumFiles: [], digests: [] }, io());
    expect(subjects).toHaveLength(4202);
    const byName = new Map(subjects.map((s) => [s.name, s.digest.sha256]));
    expect(byName.get("tree/a/f1")).toBe(sha("file 1"));
    expect(byName.get("tree/b/f1498")).toBe(sha("file 1498"));
    expect(byName.get("tree/big2")).toBe(createHash("sha256").update(Buffer.alloc(5 * 1048576, 2)).digest("hex"));
  });
});

describe("checksums and --digest", () => {
  it("reads sha256sum output in text and binary mode", () => {
    const text = `${sha("a")}  dist/a.tgz\n${sha("b").toUpperCase()} *dist/b.tgz\n\n# comment\n`;
    expect(parseChecksums(text, "SHA256SUMS")).toEqual([
      { name: "dist/a.tgz", digest: { sha256: sha("a") } },
      { name: "dist/b.tgz", digest: { sha256: sha("b") } },
    ]);
  });

  it("names the bad line", () => {
    expect(() => parseChecksums(`${sha("a")}  ok\nnot a checksum line\n`, "SUMS")).toThrow(/SUMS:2/);
  });

  it("parses NAME=sha256:HEX and refuses anything else", () => {
    expect(parseDigestOption(`registry.example.com/app=sha256:${sha("x")}`)).toEqual({
      name: "registry.example.com/app",
      digest: { sha256: sha("x") },
    });
    expect(() => parseDigestOption("app=sha256:abc")).toThrow(/NAME=sha256/);
    expect(() => parseDigestOption(`sha256:${sha("x")}`)).toThrow(/NAME=sha256/);
  });

  it("merges every source of subjects and drops exact duplicates", async () => {
    await writeFile(join(dir, "a.tgz"), "a");
    await writeFile(join(dir, "SUMS"), `${sha("a")}  a.tgz\n`);
    const subjects = await resolveSubjects(
      { patterns: ["a.tgz"], checksumFiles: ["SUMS"].map((f) => join(dir, f)), digests: [`img=sha256:${sha("i")}`] },
      io(),
    );
    expect(subjects).toEqual([
      { name: "a.tgz", digest: { sha256: sha("a") } },
      { name: "img", digest: { sha256: sha("i") } },
    ]);
  });

  it("keeps one subject per name and digest, and a name given two different digests twice", async () => {
    await writeFile(join(dir, "a.tgz"), "a");
    const subjects = await resolveSubjects(
      {
        patterns: ["a.tgz", join(dir, "a.tgz"), "*.tgz"],
        checksumFiles: [],
        digests: [`img=sha256:${sha("i")}`, `img=sha256:${sha("i")}`, `img=sha256:${sha("j")}`, `a.tgz=sha256:${sha("a")}`],
      },
      io(),
    );
    expect(subjects).toEqual([
      { name: "a.tgz", digest: { sha256: sha("a") } },
      { name: "img", digest: { sha256: sha("i") } },
      { name: "img", digest: { sha256: sha("j") } },
    ]);
  });

  it("reports progress while one large file is still being hashed", async () => {
    const big = join(dir, "disk.img");
    const size = 200 * 1048576;
    // A sparse file: 200 MiB to hash, almost nothing on disk.
    const handle = await open(big, "w");
    await handle.truncate(size);
    await handle.close();
    const seen: { bytes: number; files: number }[] = [];
    let totals: { bytes: number; files: number } | undefined;
    let done = false;
    await resolveSubjects(
      {
        patterns: ["disk.img"],
        checksumFiles: [],
        digests: [],
        progress: (t) => {
          totals = t;
          return {
            update: (p) => void seen.push({ ...p }),
            done: () => {
              done = true;
            },
          };
        },
      },
      io(),
    );
    expect(totals).toEqual({ bytes: size, files: 1 });
    // Heard of before the file was done: 0 of 1 files, part of the bytes.
    expect(seen.some((p) => p.files === 0 && p.bytes > 0 && p.bytes < size)).toBe(true);
    expect(done).toBe(true);
  });

  it("reports the totals of a long run and every file hashed, through workers too", async () => {
    await mkdir(join(dir, "many"));
    await Promise.all(Array.from({ length: 1200 }, (_, i) => writeFile(join(dir, "many", `f${i}`), `${i}`)));
    let last = { bytes: 0, files: 0 };
    let totals: { bytes: number; files: number } | undefined;
    const subjects = await resolveSubjects(
      {
        patterns: ["many"],
        checksumFiles: [],
        digests: [],
        progress: (t) => {
          totals = t;
          return {
            update: (p) => {
              last = { ...p };
            },
            done: () => {},
          };
        },
      },
      io(),
    );
    expect(subjects).toHaveLength(1200);
    expect(totals?.files).toBe(1200);
    expect(last.files).toBe(1200);
  });
});

describe("collectFiles without sizes", () => {
  it("leaves walked files unstated: their sizes are -1, named files keep theirs", async () => {
    await mkdir(join(dir, "tree"));
    await writeFile(join(dir, "tree/a"), "a");
    await writeFile(join(dir, "named"), "named");
    const { files } = await collectFiles(["tree", "named"], dir, undefined, { sizes: false });
    expect(files.map((f) => [f.name, f.size])).toEqual([
      ["tree/a", -1],
      ["named", 5],
    ]);
  });
});

describe("resolveSubjects of a few large files in a directory", () => {
  it("hashes a few large files found by a walk without sizes, with the right digests", async () => {
    await mkdir(join(dir, "release"));
    const contents = [Buffer.alloc(40 * 1048576, 1), Buffer.alloc(40 * 1048576, 2)];
    await writeFile(join(dir, "release/a.tar"), contents[0]!);
    await writeFile(join(dir, "release/b.tar"), contents[1]!);
    const subjects = await resolveSubjects({ patterns: ["release"], checksumFiles: [], digests: [] }, io());
    expect(subjects).toEqual([
      { name: "release/a.tar", digest: { sha256: createHash("sha256").update(contents[0]!).digest("hex") } },
      { name: "release/b.tar", digest: { sha256: createHash("sha256").update(contents[1]!).digest("hex") } },
    ]);
  });
});

describe("replaceFileAtomically", () => {
  it("writes pieces one after the other, a long text split without breaking a character", async () => {
    const path = join(dir, "bundle.json");
    // A surrogate pair (an emoji) straddles the 1 MiB slice boundary of the long piece.
    const long = `${"a".repeat((1 << 20) - 1)}\u{1F600}${"b".repeat(100)}`;
    await replaceFileAtomically(path, ["{\"head\": \"", long, "\"}\n", new Uint8Array([0x78])]);
    const written = await readFile(path, "utf8");
    expect(written).toBe(`{"head": "${long}"}\nx`);
  });
});

describe("prestartHashWorkers", () => {
  it("hands the workers it started to the next HashPool, which hashes with them", async () => {
    const jobs: HashJob[] = [];
    for (let i = 0; i < 40; i++) {
      await writeFile(join(dir, `f${i}`), `file ${i}`);
      jobs.push({ path: join(dir, `f${i}`), size: -1 });
    }
    prestartHashWorkers(2);
    expect(takePrestartedWorkers(0)).toEqual([]);
    const digests = await withPool((pool) => pool.finish(jobs), false);
    expect(digests).toEqual(jobs.map((_, i) => sha(`file ${i}`)));
    // The pool took both: none is left waiting.
    expect(takePrestartedWorkers(2)).toEqual([]);
  });

  it("does not keep a process alive that ends up hashing nothing with them", () => {
    // The built module, as the CLI's entry loads it.
    const moduleUrl = new URL("../dist/hash-worker.js", import.meta.url);
    expect(existsSync(moduleUrl), "packages/subjects/dist is missing: build first").toBe(true);
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", `import(${JSON.stringify(moduleUrl.href)}).then((m) => m.prestartHashWorkers(2))`], {
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(child.error).toBeUndefined();
    expect(child.status).toBe(0);
  });
});
