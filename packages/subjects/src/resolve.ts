import { statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, resolve } from "node:path";
import type { Subject } from "@provenant/core";
import { ProvenantError, printableMessage } from "@provenant/core/base";
import { parseChecksums, parseDigestOption } from "./checksums.js";
import { collectFiles, type FoundFile } from "./collect.js";
import { readTextFile } from "./files.js";
import { type HashJob, HashPool, type HashProgress, hashFiles, worthWorkers } from "./hash.js";
import { isImageArgument, type RegistryOptions } from "./image-arguments.js";
import type { SubjectsIo } from "./io.js";
import { subjectNameOf, subjectRootOf } from "./names.js";

/** Renders hashing progress; the front end draws it (a bar on a terminal) or leaves it out. */
export interface ProgressReporter {
  update(progress: HashProgress): void;
  done(): void;
}

export interface SubjectInputs {
  patterns: readonly string[];
  checksumFiles: readonly string[];
  digests: readonly string[];
  /**
   * Called once the files are known, with their totals; returns what hears
   * of the hashing, or undefined for none. Rendering stays in the front end.
   */
  progress?: (totals: { bytes: number; files: number }) => ProgressReporter | undefined;
  /** For image subjects (`oci://`, `oci-layout:`, `docker-archive:`). */
  registry?: RegistryOptions;
  /**
   * The directory subject names are relative to (`--subject-root`); by
   * default the repository's top level, or the working directory outside a
   * repository. See `subjectRootOf`.
   */
  subjectRoot?: string;
  /**
   * Fail on anything a walk had to leave out (verify: a directory that holds
   * a link out of it, or a FIFO, must not pass as if every file in it had
   * been checked). attest and subjects only warn.
   */
  refuseSkipped?: boolean;
}

/**
 * Resolves every way of naming subjects into one list, duplicates removed
 * (same name and digest). Files are hashed in parallel.
 */
export async function resolveSubjects(inputs: SubjectInputs, io: SubjectsIo): Promise<Subject[]> {
  const root = subjectRootOf(io.cwd, inputs.subjectRoot);
  const images = inputs.patterns.filter(isImageArgument);
  const paths = inputs.patterns.filter((pattern) => !isImageArgument(pattern));
  // Files alone need no duplicate check: the walk lists each file once, by
  // one name (a release's 100,000 names were a map of 100,000 entries).
  if (images.length === 0 && inputs.checksumFiles.length === 0 && inputs.digests.length === 0) {
    return hashedFiles(paths, inputs.progress, io, root, inputs.refuseSkipped ?? false);
  }
  const subjects: Subject[] = [];
  if (images.length > 0) {
    // Loaded only for images: the OCI client and the tar and gzip readers
    // are a third of this package's start, which hashing files never needs.
    const { resolveImageSubjects } = await import("./images.js");
    subjects.push(...(await resolveImageSubjects(images, io, inputs.registry)).subjects);
  }
  if (paths.length > 0) subjects.push(...(await hashedFiles(paths, inputs.progress, io, root, inputs.refuseSkipped ?? false)));

  for (const path of inputs.checksumFiles) {
    // A checksums file names files relative to its own directory (where
    // `sha256sum -c` runs); the subject takes the name that file has by path.
    const file = resolve(io.cwd, path);
    for (const subject of parseChecksums(await readTextFile(file, "checksums file"), path)) {
      const name = subjectNameOf(root, resolve(dirname(file), subject.name!), `${path}: ${subject.name}`);
      subjects.push({ ...subject, name });
    }
  }
  for (const digest of inputs.digests) subjects.push(parseDigestOption(digest));

  return withoutDuplicates(subjects);
}

/**
 * Subjects with the same name and digest once, in first-seen order. By name
 * first, then digests compared: a key string per subject (name and digest
 * JSON) was 100,000 strings of garbage for a release.
 */
function withoutDuplicates(subjects: readonly Subject[]): Subject[] {
  const byName = new Map<string, Subject | Subject[]>();
  const unique: Subject[] = [];
  for (const s of subjects) {
    const name = s.name ?? "";
    const seen = byName.get(name);
    if (seen === undefined) byName.set(name, s);
    else {
      const list = Array.isArray(seen) ? seen : [seen];
      if (list.some((other) => sameDigest(other.digest, s.digest))) continue;
      list.push(s);
      if (!Array.isArray(seen)) byName.set(name, list);
    }
    unique.push(s);
  }
  return unique;
}

/** Same algorithms with the same values, in the same order (as the JSON text compared before). */
function sameDigest(a: Subject["digest"], b: Subject["digest"]): boolean {
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  return keysA.length === keysB.length && keysA.every((k, i) => k === keysB[i] && a[k] === b[k]);
}

/**
 * Walks the paths and globs and hashes what they hold. Hash workers start
 * only once the walk has found enough work to repay them (`worthWorkers`);
 * from then on, files are fed to them in batches while this thread still
 * walks, and the files found before are sent at once. A small job never
 * starts a worker.
 */
async function hashedFiles(
  paths: readonly string[],
  progress: SubjectInputs["progress"],
  io: SubjectsIo,
  root: string,
  refuseSkipped: boolean,
): Promise<Subject[]> {
  let pool: HashPool | undefined;
  const early: HashJob[] = [];
  let earlyBytes = 0;
  const parallel = availableParallelism() > 1;
  const onFile = (file: FoundFile) => {
    const job = { path: file.realPath, size: file.size };
    if (pool) return pool.add(job);
    early.push(job);
    earlyBytes += Math.max(0, file.size);
    if (parallel && worthWorkers(early.length, earlyBytes)) {
      pool = new HashPool();
      for (const started of early) pool.add(started);
    }
  };
  try {
    return await walkAndHash(paths, progress, io, root, refuseSkipped, onFile, () => pool);
  } finally {
    // Not awaited: the workers hold nothing of the result, and stop while the
    // caller uses it (their shutdown was 3 ms of a 20,000-file run's 260).
    void pool?.close();
  }
}

async function walkAndHash(
  paths: readonly string[],
  progress: SubjectInputs["progress"],
  io: SubjectsIo,
  root: string,
  refuseSkipped: boolean,
  onFile: (file: FoundFile) => void,
  pool: () => HashPool | undefined,
): Promise<Subject[]> {
  // Sizes only for a progress display: otherwise the walk spends no stat per file.
  const { files, skipped } = await collectFiles(paths, io.cwd, onFile, { root, sizes: progress !== undefined });
  if (refuseSkipped && skipped.length > 0) {
    throw new ProvenantError(
      "UNVERIFIABLE_ARTIFACT",
      `${skipped.join("; ")}: not checked, so the artifacts cannot be verified as a whole; expected only regular files (and links to files inside the directory)`,
    );
  }
  for (const s of skipped) io.stderr(`provenant: warning: left out ${printableMessage(s)}\n`);
  if (!pool()) {
    // Too few files for workers by number: a few large ones may still repay
    // them (a release directory of tarballs), which only their sizes tell.
    // Fewer than worthWorkers' file count, so these stats are cheap.
    for (const file of files) if (file.size < 0) file.size = statSync(file.realPath, { throwIfNoEntry: false })?.size ?? -1;
  }
  const totalBytes = files.reduce((sum, f) => sum + Math.max(0, f.size), 0);
  const bar = progress?.({ bytes: totalBytes, files: files.length });
  // A pool started by the walk was handed every file from then on, and those before: it finishes them.
  const started = pool();
  const digests = await hashFiles(
    started ? [] : files.map((f) => ({ path: f.realPath, size: f.size })),
    bar ? (p) => bar.update(p) : undefined,
    undefined,
    started,
  );
  bar?.done();
  // In the walk's order, which is the order the pool was handed the files.
  return files.map((file, i) => ({ name: file.name, digest: { sha256: digests[i]! } }));
}
