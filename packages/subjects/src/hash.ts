import { createHash } from "node:crypto";
import { closeSync, openSync, readSync } from "node:fs";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { ProvenantError } from "@provenant/core";

export interface HashJob {
  path: string;
  /** Bytes, or -1 when unknown: the worker then reads the size from the open descriptor. */
  size: number;
}

export interface HashProgress {
  /** Bytes hashed so far across all files. */
  bytes: number;
  files: number;
}

const CHUNK = 1 << 20;
/** A file this large is hashed on its own (own batch, own worker), so that two big files use two cores. */
const LARGE_BYTES = 4 * CHUNK;

/** How often a file being hashed reports progress. */
const PROGRESS_STEP = 64 * CHUNK;

/**
 * Streams one file through SHA-256 in 1 MiB reads: memory stays flat for any
 * size. `onBytes` hears of every 64 MiB read, so that one multi-GB file still
 * moves a progress bar (a terminal's stderr is written synchronously, so the
 * bar is drawn even though this loop never yields).
 */
export function sha256File(
  path: string,
  buffer: Buffer = Buffer.allocUnsafe(CHUNK),
  onBytes?: (bytes: number) => void,
): string {
  const hash = createHash("sha256");
  const fd = openSync(path, "r");
  let pending = 0;
  try {
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      hash.update(n === buffer.length ? buffer : buffer.subarray(0, n));
      pending += n;
      if (onBytes && pending >= PROGRESS_STEP) {
        onBytes(pending);
        pending = 0;
      }
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}

// The worker's code travels as a string (eval worker) so that the CLI stays
// one self-contained bundled file with no second entry to locate at run time.
// It mirrors sha256File above: synchronous 1 MiB reads, which in a worker are
// the fastest way to feed the hash and keep memory flat. For the many-small-
// files case, system calls are the cost: a read shorter than asked for that
// brings the total to the size the walk saw is the end of a regular file
// (POSIX), so the read that would return 0 is skipped, and a file read in one
// go is hashed in one call. A batch's answer is its digests in order (or an
// error), not path/digest pairs: for 20,000 small files the copying of
// messages back to the main thread is measurable. A file sent without its
// size (-1: the walk did not stat it) is fstat-ed on its open descriptor
// here, off the main thread; one that turns out large is handed back
// unhashed ("deferred"), so that the main thread can give each large file a
// worker of its own.
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { createHash, hash } = require("node:crypto");
const { openSync, readSync, closeSync, fstatSync } = require("node:fs");
const buffer = Buffer.allocUnsafe(${CHUNK});
parentPort.on("message", (batch) => {
  const digests = [];
  const deferred = [];
  let pending = 0;
  for (let i = 0; i < batch.paths.length; i++) {
    const path = batch.paths[i];
    let size = batch.sizes[i];
    let fd;
    try {
      fd = openSync(path, "r");
      if (size < 0) {
        size = fstatSync(fd).size;
        if (size >= ${LARGE_BYTES}) {
          deferred.push(i, size);
          digests.push("");
          continue;
        }
      }
      const first = readSync(fd, buffer, 0, buffer.length, null);
      pending += first;
      if (first < buffer.length && first === size) {
        digests.push(hash("sha256", buffer.subarray(0, first), "hex"));
        continue;
      }
      const h = createHash("sha256");
      let total = first;
      let n = first;
      while (n > 0) {
        h.update(n === buffer.length ? buffer : buffer.subarray(0, n));
        if (n < buffer.length && total === size) break;
        n = readSync(fd, buffer, 0, buffer.length, null);
        total += n;
        pending += n;
        if (pending >= ${PROGRESS_STEP}) { parentPort.postMessage({ progress: pending }); pending = 0; }
      }
      digests.push(h.digest("hex"));
    } catch (error) {
      parentPort.postMessage({ id: batch.id, failed: path, error: String((error && error.message) || error) });
      return;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
  parentPort.postMessage({ id: batch.id, digests, deferred, progress: pending });
});
`;

interface WorkerMessage {
  id?: number;
  digests?: string[];
  /** Pairs of (index in the batch, size): large files sent without a size, left for `finish` to hand out one by one. */
  deferred?: number[];
  progress?: number;
  failed?: string;
  error?: string;
}

// A file that vanished or became unreadable after it was listed is bad
// input (exit 2), not a crash.
function unreadable(path: string, reason: string, cause?: unknown): ProvenantError {
  return new ProvenantError("IO_ERROR", `cannot read ${path}: ${reason}`, cause === undefined ? undefined : { cause });
}

/**
 * Whether hash workers repay their start (~40 ms each, more on a busy
 * machine, plus a message per batch). SHA-256 runs at over 1 GB/s, so below
 * 64 MiB the hashing itself takes well under that; small files cost mostly
 * system calls (open, read, close: some 10-20 us each), which a single
 * thread does as fast as a pool up to a few thousand files. Files whose size
 * is not known yet count by number only.
 */
export function worthWorkers(files: number, knownBytes: number): boolean {
  return files >= MIN_FILES_FOR_WORKERS || knownBytes >= MIN_BYTES_FOR_WORKERS;
}
const MIN_FILES_FOR_WORKERS = 4096;
const MIN_BYTES_FOR_WORKERS = 64 * CHUNK;

const LARGE = LARGE_BYTES;
/** Small files travel in batches: few messages, yet enough batches to balance the workers at the end. */
const BATCH_FILES = 512;
const BATCH_BYTES = 8 * CHUNK;

/**
 * Hash workers that can start before the file list is complete. A worker
 * boots in ~40 ms on another core while the main thread walks directories,
 * and small files found by the walk are sent in batches as they are found:
 * posting a message needs no turn of the event loop, so hashing runs beside
 * the (synchronous) walk instead of after it. Large files wait for `finish`,
 * which hands them out as workers come free.
 */
export class HashPool {
  private readonly workers: Worker[];
  private readonly batches: HashJob[][] = [];
  /** Large files not yet sent: from `finish`, and those a worker handed back. */
  private readonly large: HashJob[] = [];
  private readonly digests = new Map<string, string>();
  private readonly sent = new Set<string>();
  private readonly inFlight: number[];
  private current: HashJob[] = [];
  private currentBytes = 0;
  private nextWorker = 0;
  private failure: ProvenantError | undefined;
  private wake: (() => void) | undefined;
  private readonly progress: HashProgress = { bytes: 0, files: 0 };
  private onProgress: ((progress: HashProgress) => void) | undefined;

  constructor(count = availableParallelism()) {
    // A worker holds one batch of paths and a 1 MiB buffer: a small young
    // generation is plenty, and the default one (sized for a main thread)
    // was a measurable share of attest's peak memory per worker.
    this.workers = Array.from(
      { length: Math.max(1, count) },
      () => new Worker(WORKER_SOURCE, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: 4 } }),
    );
    this.inFlight = this.workers.map(() => 0);
    for (const [index, worker] of this.workers.entries()) {
      worker.on("message", (message: WorkerMessage) => this.received(index, message));
      worker.on("error", (error) => this.failed(unreadable("a file", error.message, error)));
      // A worker that dies without an error event (killed, out of memory) must not leave finish() waiting.
      worker.on("exit", (code) => {
        if (this.inFlight[index]! > 0) this.failed(new ProvenantError("IO_ERROR", `a hashing worker stopped (exit code ${code}) before it answered`));
      });
    }
  }

  /** Whether the walk already handed files to the workers (they must then finish the job). */
  get started(): boolean {
    return this.sent.size > 0;
  }

  /** A file found by the walk: small ones start hashing now. */
  add(job: HashJob): void {
    if (job.size >= LARGE || this.sent.has(job.path)) return;
    // Sent without a size (-1), a file counts as small; the worker hands it back if it is not.
    this.sent.add(job.path);
    this.current.push(job);
    this.currentBytes += job.size;
    if (this.current.length >= BATCH_FILES || this.currentBytes >= BATCH_BYTES) this.flush(this.nextWorker++ % this.workers.length);
  }

  /** Hashes every job (those added already included) and resolves with all digests. */
  async finish(jobs: readonly HashJob[], onProgress?: (progress: HashProgress) => void): Promise<Map<string, string>> {
    this.onProgress = onProgress;
    for (const job of jobs) if (job.size < LARGE) this.add(job);
    if (this.current.length > 0) this.flush(this.leastBusy());
    this.large.push(...jobs.filter((job) => job.size >= LARGE && !this.sent.has(job.path)));
    this.large.sort((a, b) => b.size - a.size);
    const large = this.large;
    for (;;) {
      if (this.failure) throw this.failure;
      // Two batches in flight per worker, so that none waits for this thread between batches.
      while (large.length > 0 && Math.min(...this.inFlight) < 2) {
        const job = large.shift()!;
        this.sent.add(job.path);
        this.current = [job];
        this.flush(this.leastBusy());
      }
      if (large.length === 0 && this.inFlight.every((n) => n === 0)) return this.digests;
      await new Promise<void>((resolveWake) => {
        this.wake = resolveWake;
      });
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private leastBusy(): number {
    return this.inFlight.indexOf(Math.min(...this.inFlight));
  }

  private flush(index: number): void {
    const id = this.batches.push(this.current) - 1;
    this.inFlight[index]!++;
    this.workers[index]!.postMessage({ id, paths: this.current.map((job) => job.path), sizes: this.current.map((job) => job.size) });
    this.current = [];
    this.currentBytes = 0;
  }

  private received(index: number, message: WorkerMessage): void {
    if (message.progress) {
      this.progress.bytes += message.progress;
      if (message.id === undefined) this.onProgress?.(this.progress);
    }
    if (message.id === undefined) return;
    if (message.failed !== undefined) {
      this.failed(unreadable(message.failed, message.error ?? "unknown error"));
      return;
    }
    const batch = this.batches[message.id]!;
    // Answered: a release's 100,000 jobs need not stay alive to the end.
    this.batches[message.id] = [];
    const deferred = message.deferred ?? [];
    const handedBack = new Set<number>();
    for (let k = 0; k < deferred.length; k += 2) {
      const job = batch[deferred[k]!]!;
      handedBack.add(deferred[k]!);
      this.sent.delete(job.path);
      this.large.push({ path: job.path, size: deferred[k + 1]! });
    }
    for (const [i, digest] of message.digests!.entries()) if (!handedBack.has(i)) this.digests.set(batch[i]!.path, digest);
    this.progress.files += batch.length - handedBack.size;
    this.inFlight[index]!--;
    this.onProgress?.(this.progress);
    this.wake?.();
  }

  private failed(error: ProvenantError): void {
    this.failure ??= error;
    this.wake?.();
  }
}

/**
 * Hashes files in parallel on all cores (through `pool`, when the caller
 * started one early). A small job runs on the main thread: starting workers
 * would cost more than it saves.
 */
export async function hashFiles(
  jobs: readonly HashJob[],
  onProgress?: (progress: HashProgress) => void,
  parallelism = availableParallelism(),
  pool?: HashPool,
): Promise<Map<string, string>> {
  const total = jobs.reduce((sum, j) => sum + Math.max(0, j.size), 0);
  // A pool that already has files in hand finishes them: hashing them here too would be twice the work.
  const small = jobs.length === 1 || !worthWorkers(jobs.length, total);
  if (pool ? !pool.started && small : parallelism <= 1 || small) {
    return hashOnThisThread(jobs, onProgress);
  }
  const own = pool ? undefined : new HashPool(Math.min(parallelism, jobs.length));
  try {
    return await (pool ?? own!).finish(jobs, onProgress);
  } finally {
    await own?.close();
  }
}

function hashOnThisThread(jobs: readonly HashJob[], onProgress?: (progress: HashProgress) => void): Map<string, string> {
  const digests = new Map<string, string>();
  const progress: HashProgress = { bytes: 0, files: 0 };
  const buffer = Buffer.allocUnsafe(CHUNK);
  const onBytes = onProgress
    ? (bytes: number) => {
        progress.bytes += bytes;
        onProgress(progress);
      }
    : undefined;
  for (const job of jobs) {
    const before = progress.bytes;
    try {
      digests.set(job.path, sha256File(job.path, buffer, onBytes));
    } catch (error) {
      throw unreadable(job.path, (error as Error).message, error);
    }
    if (job.size >= 0) progress.bytes = before + job.size;
    progress.files++;
    onProgress?.(progress);
  }
  return digests;
}
