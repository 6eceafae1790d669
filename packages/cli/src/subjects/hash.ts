import { createHash } from "node:crypto";
import { closeSync, openSync, readSync } from "node:fs";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { ProvenantError } from "@provenant/core";

export interface HashJob {
  path: string;
  size: number;
}

export interface HashProgress {
  /** Bytes hashed so far across all files. */
  bytes: number;
  files: number;
}

const CHUNK = 1 << 20;

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
// the fastest way to feed the hash and keep memory flat. A batch's answer is
// its digests in order (or an error), not path/digest pairs: for 20,000 small
// files the copying of messages back to the main thread is measurable.
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const { openSync, readSync, closeSync } = require("node:fs");
const buffer = Buffer.allocUnsafe(${CHUNK});
parentPort.on("message", (batch) => {
  const digests = [];
  let pending = 0;
  for (const path of batch.paths) {
    let fd;
    try {
      fd = openSync(path, "r");
      const hash = createHash("sha256");
      for (;;) {
        const n = readSync(fd, buffer, 0, buffer.length, null);
        if (n === 0) break;
        hash.update(n === buffer.length ? buffer : buffer.subarray(0, n));
        pending += n;
        if (pending >= ${PROGRESS_STEP}) { parentPort.postMessage({ progress: pending }); pending = 0; }
      }
      digests.push(hash.digest("hex"));
    } catch (error) {
      parentPort.postMessage({ id: batch.id, failed: path, error: String((error && error.message) || error) });
      return;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
  parentPort.postMessage({ id: batch.id, digests, progress: pending });
});
`;

interface WorkerMessage {
  id?: number;
  digests?: string[];
  progress?: number;
  failed?: string;
  error?: string;
}

// A file that vanished or became unreadable after it was listed is bad
// input (exit 2), not a crash.
function unreadable(path: string, reason: string, cause?: unknown): ProvenantError {
  return new ProvenantError("IO_ERROR", `cannot read ${path}: ${reason}`, cause === undefined ? undefined : { cause });
}

/** Below this much work, starting workers (~40 ms each) costs more than it saves. */
function worthWorkers(jobs: readonly HashJob[], total: number): boolean {
  return jobs.length >= 64 || total >= 16 * CHUNK;
}

/** Large files one per batch so two big files use two cores; small ones grouped. */
function batchesOf(jobs: readonly HashJob[], workerCount: number): string[][] {
  const ordered = [...jobs].sort((a, b) => b.size - a.size);
  const small = ordered.filter((job) => job.size < 4 * CHUNK);
  const batches: string[][] = ordered.filter((job) => job.size >= 4 * CHUNK).map((job) => [job.path]);
  // Enough batches to balance the workers at the end, few enough that the
  // per-message cost stays small: about 16 per worker, 32..512 files each.
  const perBatch = Math.min(512, Math.max(32, Math.ceil(small.length / (workerCount * 16))));
  let current: string[] = [];
  let currentBytes = 0;
  for (const job of small) {
    current.push(job.path);
    currentBytes += job.size;
    if (current.length >= perBatch || currentBytes >= 8 * CHUNK) {
      batches.push(current);
      current = [];
      currentBytes = 0;
    }
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * Hashes files in parallel on all cores. Each worker keeps two batches in
 * flight, so that it never waits for the main thread between batches. A small
 * job runs on the main thread: starting workers would cost more than it saves.
 */
export async function hashFiles(
  jobs: readonly HashJob[],
  onProgress?: (progress: HashProgress) => void,
  parallelism = availableParallelism(),
): Promise<Map<string, string>> {
  const digests = new Map<string, string>();
  const total = jobs.reduce((sum, j) => sum + j.size, 0);
  const progress: HashProgress = { bytes: 0, files: 0 };
  if (parallelism <= 1 || jobs.length === 1 || !worthWorkers(jobs, total)) {
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
      progress.bytes = before + job.size;
      progress.files++;
      onProgress?.(progress);
    }
    return digests;
  }

  const batches = batchesOf(jobs, parallelism);
  const workerCount = Math.min(parallelism, batches.length);
  let next = 0;
  const workers: Worker[] = [];
  try {
    await Promise.all(
      Array.from({ length: workerCount }, () => {
        const worker = new Worker(WORKER_SOURCE, { eval: true });
        workers.push(worker);
        return new Promise<void>((resolveWorker, reject) => {
          let inFlight = 0;
          const dispatch = () => {
            if (next < batches.length) {
              const id = next++;
              inFlight++;
              worker.postMessage({ id, paths: batches[id] });
            } else if (inFlight === 0) {
              resolveWorker();
            }
          };
          worker.on("message", (message: WorkerMessage) => {
            if (message.progress) {
              progress.bytes += message.progress;
              if (message.id === undefined) onProgress?.(progress);
            }
            if (message.id === undefined) return;
            if (message.failed !== undefined) {
              reject(unreadable(message.failed, message.error ?? "unknown error"));
              return;
            }
            const paths = batches[message.id]!;
            for (const [i, digest] of message.digests!.entries()) digests.set(paths[i]!, digest);
            progress.files += paths.length;
            inFlight--;
            onProgress?.(progress);
            dispatch();
          });
          worker.on("error", reject);
          dispatch();
          dispatch();
        });
      }),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return digests;
}
