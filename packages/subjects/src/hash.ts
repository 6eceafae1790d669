import { createHash, hash as cryptoHash } from "node:crypto";
import { closeSync, openSync, readSync } from "node:fs";
import { availableParallelism } from "node:os";
import type { Worker } from "node:worker_threads";
import { ProvenantError } from "@provenant/core/base";
import { CHUNK, LARGE_BYTES, PROGRESS_STEP, takePrestartedWorkers, startHashWorker } from "./hash-worker.js";

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
  /** The size the walk saw, or -1: a first read shorter than the buffer that gives exactly this many bytes is the whole file. */
  size = -1,
): string {
  const fd = openSync(path, "r");
  let pending = 0;
  try {
    let n = readSync(fd, buffer, 0, buffer.length, null);
    // Small files cost system calls and allocations, not hashing: a file
    // read whole into the buffer is hashed in one call, without a Hash
    // object. It was read whole if the read gave the size the walk saw (see
    // WORKER_SOURCE) or, size unknown, if a second read after it gives
    // nothing (read into the rest of the buffer, so that a file that grew
    // meanwhile loses nothing).
    if (n < buffer.length) {
      if (n === size) return cryptoHash("sha256", buffer.subarray(0, n), "hex");
      if (size < 0) {
        const more = readSync(fd, buffer, n, buffer.length - n, null);
        if (more === 0) return cryptoHash("sha256", buffer.subarray(0, n), "hex");
        n += more;
      }
    }
    const hash = createHash("sha256");
    let total = 0;
    for (;;) {
      if (n === 0) break;
      hash.update(n === buffer.length ? buffer : buffer.subarray(0, n));
      total += n;
      if (n < buffer.length && total === size) break;
      pending += n;
      if (onBytes && pending >= PROGRESS_STEP) {
        onBytes(pending);
        pending = 0;
      }
      n = readSync(fd, buffer, 0, buffer.length, null);
    }
    return hash.digest("hex");
  } finally {
    closeSync(fd);
  }
}

interface WorkerMessage {
  id?: number;
  digests?: string[];
  /** Pairs of (index in the batch, size): large files sent without a size, handed back to be hashed one by one. */
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
 * Whether a hash worker repays its start (~40 ms, more on a busy machine,
 * plus a message per batch). SHA-256 runs at over 1 GB/s, so below 64 MiB
 * the hashing itself takes well under that; small files cost mostly system
 * calls (open, read, close: some 10-20 us each), which a single thread does
 * as fast as a pool up to a few thousand files. Files whose size is not
 * known yet count by number only.
 */
export function worthWorkers(files: number, knownBytes: number): boolean {
  return files >= MIN_FILES_FOR_WORKERS || knownBytes >= MIN_BYTES_FOR_WORKERS;
}
const MIN_FILES_FOR_WORKERS = 4096;
const MIN_BYTES_FOR_WORKERS = 64 * CHUNK;

const LARGE = LARGE_BYTES;
/** Small files travel in batches: few messages, yet small enough that the threads finish together. */
const BATCH_FILES = 256;
const BATCH_BYTES = 8 * CHUNK;
function emptyBatch(): Batch {
  return { paths: [], sizes: [], indices: [] };
}
/** What a taken batch's place in the queue holds. */
const TAKEN: Batch = emptyBatch();

/** Batches a worker holds before it needs more: one to hash, one to start on without waiting for this thread. */
const AHEAD = 2;

/**
 * Files that travel together: paths and sizes as the worker receives them,
 * and each file's place in the order files were added (the digests come
 * back in that order, into one array: no map from path to digest).
 */
interface Batch {
  paths: string[];
  sizes: number[];
  indices: number[];
}

interface Sent {
  batch: Batch;
  worker: number;
}

export interface HashPoolOptions {
  /**
   * Whether this thread hashes too once the walk is done (default true).
   * On two cores a walk and two workers fought for two cores, and the main
   * thread then sat waiting; now one worker fewer than cores starts and
   * this thread takes batches from the same queue. False leaves all files
   * to the workers (tests compare both paths).
   */
  hashHere?: boolean;
}

/**
 * Hash workers that can start before the file list is complete, with this
 * thread as one more hasher once the walk is done. A worker boots in
 * ~40 ms on another core while this thread walks directories; small files
 * found by the walk go out in batches as they are found, each worker kept
 * `AHEAD` batches ahead (posting a message needs no turn of the event loop,
 * and a shared counter says how far each worker got), and the rest wait in a
 * queue. `finish` puts the large files first in that queue (largest first)
 * and then this thread and the workers take from it until it is empty.
 */
export class HashPool {
  private readonly workers: Worker[];
  /** Batches sent to a worker and not yet answered, by id. */
  private readonly inFlight = new Map<number, Sent>();
  private nextId = 0;
  /** Batches waiting for a thread: large files alone, small ones together. */
  private queue: Batch[] = [];
  private queueHead = 0;
  /** By the order files were added. */
  private readonly digests: string[] = [];
  /** Files handed to the pool so far; large ones wait here for `finish`. */
  private added = 0;
  private readonly large: { job: HashJob; index: number }[] = [];
  /** Per worker: batches posted, and (shared with the worker) batches it answered. */
  private readonly posted: number[];
  private readonly answered: Int32Array[];
  /** Per worker: answers this thread has received (the message, not just the counter). */
  private readonly received: number[];
  private current: Batch = emptyBatch();
  private currentBytes = 0;
  private readonly hashHere: boolean;
  /** Batches this thread hashed: it lets answers in every eighth. */
  private hashedHere = 0;
  private readonly buffer = Buffer.allocUnsafe(CHUNK);
  private failure: ProvenantError | undefined;
  private wake: (() => void) | undefined;
  private readonly progress: HashProgress = { bytes: 0, files: 0 };
  private onProgress: ((progress: HashProgress) => void) | undefined;

  /** `count` workers; by default one fewer than the cores (at least one), as this thread hashes too. */
  constructor(count = Math.max(1, availableParallelism() - 1), options: HashPoolOptions = {}) {
    this.hashHere = options.hashHere ?? true;
    const n = Math.max(1, count);
    // Workers started early (prestartHashWorkers) have booted meanwhile; the rest start now.
    const adopted = takePrestartedWorkers(n);
    const fresh = Array.from({ length: n - adopted.length }, () => startHashWorker());
    this.answered = [...adopted, ...fresh].map((w) => w.answered);
    this.workers = [...adopted, ...fresh].map((w) => w.worker);
    this.posted = this.workers.map(() => 0);
    this.received = this.workers.map(() => 0);
    for (const [index, worker] of this.workers.entries()) {
      worker.on("message", (message: WorkerMessage) => this.onMessage(index, message));
      worker.on("error", (error) => this.failed(unreadable("a file", error.message, error)));
      // A worker that dies without an error event (killed, out of memory) must not leave finish() waiting.
      worker.on("exit", (code) => {
        if (this.posted[index]! > this.received[index]!) {
          this.failed(new ProvenantError("IO_ERROR", `a hashing worker stopped (exit code ${code}) before it answered`));
        }
      });
    }
  }

  /** Whether the walk already handed files to the pool (it must then finish the job). */
  get started(): boolean {
    return this.added > 0;
  }

  /**
   * A file found by the walk (each file once: the walk removes duplicates,
   * and a set of every path seen was 20,000 strings of bookkeeping): small
   * ones start hashing now, large ones wait for `finish`.
   */
  add(job: HashJob): void {
    const index = this.added++;
    if (job.size >= LARGE) {
      this.large.push({ job, index });
      return;
    }
    // Sent without a size (-1), a file counts as small; a worker hands it back if it is not.
    this.current.paths.push(job.path);
    this.current.sizes.push(job.size);
    this.current.indices.push(index);
    this.currentBytes += job.size;
    if (this.current.paths.length >= BATCH_FILES || this.currentBytes >= BATCH_BYTES) this.flush();
  }

  /**
   * Hashes `jobs` (files not `add`ed before) and every file added, and
   * resolves with all digests in the order the files were added.
   */
  async finish(jobs: readonly HashJob[], onProgress?: (progress: HashProgress) => void): Promise<string[]> {
    this.onProgress = onProgress;
    for (const job of jobs) this.add(job);
    if (this.current.paths.length > 0) this.flush();
    this.putLargeFirst(this.large.splice(0));
    for (;;) {
      if (this.failure) throw this.failure;
      this.topUp();
      const batch = this.hashHere ? this.take() : undefined;
      if (batch) {
        this.hashOnThisThread(batch);
        // Let answers in now and then: progress, and large files handed back.
        if (++this.hashedHere % 8 === 0) await new Promise<void>((resolveNow) => setImmediate(resolveNow));
        continue;
      }
      if (this.queueHead === this.queue.length && this.inFlight.size === 0) return this.digests;
      await new Promise<void>((resolveWake) => {
        this.wake = resolveWake;
      });
      this.wake = undefined;
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  /** Large files go before the small batches still waiting, largest first, each a batch of its own. */
  private putLargeFirst(large: { job: HashJob; index: number }[]): void {
    if (large.length === 0) return;
    large.sort((a, b) => b.job.size - a.job.size);
    const alone = large.map(({ job, index }) => ({ paths: [job.path], sizes: [job.size], indices: [index] }));
    this.queue = [...alone, ...this.queue.slice(this.queueHead)];
    this.queueHead = 0;
  }

  private take(): Batch | undefined {
    if (this.queueHead === this.queue.length) return undefined;
    const batch = this.queue[this.queueHead]!;
    // Taken: a release's 100,000 paths need not stay alive to the end.
    this.queue[this.queueHead++] = TAKEN;
    return batch;
  }

  private flush(): void {
    this.queue.push(this.current);
    this.current = emptyBatch();
    this.currentBytes = 0;
    this.topUp();
  }

  /** Gives each worker batches until it holds AHEAD (counted by the shared counter: the event loop may not have turned). */
  private topUp(): void {
    for (let w = 0; w < this.workers.length; w++) {
      while (this.posted[w]! - Atomics.load(this.answered[w]!, 0) < AHEAD) {
        const batch = this.take();
        if (!batch) return;
        const id = this.nextId++;
        this.inFlight.set(id, { batch, worker: w });
        this.posted[w]!++;
        this.workers[w]!.postMessage({ id, paths: batch.paths, sizes: batch.sizes });
      }
    }
  }

  private hashOnThisThread(batch: Batch): void {
    const onBytes = (bytes: number) => {
      this.progress.bytes += bytes;
      this.onProgress?.(this.progress);
      // A large file keeps this thread for a while: the workers must not run dry meanwhile.
      this.topUp();
    };
    for (let i = 0; i < batch.paths.length; i++) {
      const path = batch.paths[i]!;
      const size = batch.sizes[i]!;
      const before = this.progress.bytes;
      try {
        this.digests[batch.indices[i]!] = sha256File(path, this.buffer, onBytes, size);
      } catch (error) {
        throw unreadable(path, (error as Error).message, error);
      }
      if (size >= 0) this.progress.bytes = before + size;
      this.progress.files++;
    }
    this.onProgress?.(this.progress);
  }

  private onMessage(index: number, message: WorkerMessage): void {
    if (message.progress) {
      this.progress.bytes += message.progress;
      if (message.id === undefined) this.onProgress?.(this.progress);
    }
    if (message.id === undefined) return;
    this.received[index]!++;
    const sent = this.inFlight.get(message.id);
    this.inFlight.delete(message.id);
    if (message.failed !== undefined) {
      this.failed(unreadable(message.failed, message.error ?? "unknown error"));
      return;
    }
    const batch = sent!.batch;
    const deferred = message.deferred ?? [];
    let handedBack: Set<number> | undefined;
    if (deferred.length > 0) {
      handedBack = new Set<number>();
      const large: { job: HashJob; index: number }[] = [];
      for (let k = 0; k < deferred.length; k += 2) {
        const i = deferred[k]!;
        handedBack.add(i);
        large.push({ job: { path: batch.paths[i]!, size: deferred[k + 1]! }, index: batch.indices[i]! });
      }
      this.putLargeFirst(large);
    }
    const digests = message.digests!;
    for (let i = 0; i < digests.length; i++) if (!handedBack?.has(i)) this.digests[batch.indices[i]!] = digests[i]!;
    this.progress.files += batch.paths.length - (handedBack?.size ?? 0);
    this.onProgress?.(this.progress);
    this.topUp();
    this.wake?.();
  }

  private failed(error: ProvenantError): void {
    this.failure ??= error;
    this.wake?.();
  }
}

/**
 * Hashes files on all cores (through `pool`, when the caller started one
 * early and `add`ed some files to it already: `jobs` are then the files not
 * added). A small job runs on this thread alone: starting workers would cost
 * more than it saves. The digests come in order: the files added to `pool`
 * first, then `jobs`.
 */
export async function hashFiles(
  jobs: readonly HashJob[],
  onProgress?: (progress: HashProgress) => void,
  parallelism = availableParallelism(),
  pool?: HashPool,
): Promise<string[]> {
  const total = jobs.reduce((sum, j) => sum + Math.max(0, j.size), 0);
  // A pool that already has files in hand finishes them: hashing them here too would be twice the work.
  const small = jobs.length <= 1 || !worthWorkers(jobs.length, total);
  if (pool ? !pool.started && small : parallelism <= 1 || small) {
    return hashOnThisThread(jobs, onProgress);
  }
  const own = pool ? undefined : new HashPool(Math.max(1, Math.min(parallelism - 1, jobs.length - 1)));
  try {
    return await (pool ?? own!).finish(jobs, onProgress);
  } finally {
    await own?.close();
  }
}

function hashOnThisThread(jobs: readonly HashJob[], onProgress?: (progress: HashProgress) => void): string[] {
  const digests: string[] = [];
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
      digests.push(sha256File(job.path, buffer, onBytes, job.size));
    } catch (error) {
      throw unreadable(job.path, (error as Error).message, error);
    }
    if (job.size >= 0) progress.bytes = before + job.size;
    progress.files++;
    onProgress?.(progress);
  }
  return digests;
}
