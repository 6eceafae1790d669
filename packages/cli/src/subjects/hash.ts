import { createHash } from "node:crypto";
import { closeSync, openSync, readSync } from "node:fs";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

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

/** Streams one file through SHA-256 in 1 MiB reads: memory stays flat for any size. */
export function sha256File(path: string, buffer: Buffer = Buffer.allocUnsafe(CHUNK)): string {
  const hash = createHash("sha256");
  const fd = openSync(path, "r");
  try {
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      hash.update(n === buffer.length ? buffer : buffer.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}

// The worker's code travels as a string (eval worker) so that the CLI stays
// one self-contained bundled file with no second entry to locate at run time.
// It mirrors sha256File above: synchronous 1 MiB reads, which in a worker are
// the fastest way to feed the hash and keep memory flat.
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const { openSync, readSync, closeSync } = require("node:fs");
const buffer = Buffer.allocUnsafe(${CHUNK});
parentPort.on("message", (batch) => {
  const results = [];
  for (const path of batch.paths) {
    try {
      const hash = createHash("sha256");
      const fd = openSync(path, "r");
      let total = 0, reported = 0;
      try {
        for (;;) {
          const n = readSync(fd, buffer, 0, buffer.length, null);
          if (n === 0) break;
          hash.update(n === buffer.length ? buffer : buffer.subarray(0, n));
          total += n;
          if (total - reported >= 67108864) { parentPort.postMessage({ progress: total - reported }); reported = total; }
        }
      } finally { closeSync(fd); }
      if (total > reported) parentPort.postMessage({ progress: total - reported });
      results.push({ path, sha256: hash.digest("hex") });
    } catch (error) {
      results.push({ path, error: String(error && error.message || error) });
    }
  }
  parentPort.postMessage({ id: batch.id, results });
});
`;

interface WorkerResult {
  path: string;
  sha256?: string;
  error?: string;
}

/**
 * Hashes files in parallel on all cores. Large files go one per message so
 * that two big files use both cores; small files go in batches so that the
 * per-message cost does not dominate 20,000 tiny files. A small job runs on
 * the main thread: starting workers would cost more than it saves.
 */
export async function hashFiles(
  jobs: readonly HashJob[],
  onProgress?: (progress: HashProgress) => void,
  parallelism = availableParallelism(),
): Promise<Map<string, string>> {
  const digests = new Map<string, string>();
  const total = jobs.reduce((sum, j) => sum + j.size, 0);
  const progress: HashProgress = { bytes: 0, files: 0 };
  if (parallelism <= 1 || (jobs.length < 64 && total < 16 * CHUNK) || jobs.length === 1) {
    const buffer = Buffer.allocUnsafe(CHUNK);
    for (const job of jobs) {
      digests.set(job.path, sha256File(job.path, buffer));
      progress.bytes += job.size;
      progress.files++;
      onProgress?.(progress);
    }
    return digests;
  }

  const ordered = [...jobs].sort((a, b) => b.size - a.size);
  const batches: string[][] = [];
  let current: string[] = [];
  let currentBytes = 0;
  for (const job of ordered) {
    if (job.size >= 4 * CHUNK) {
      batches.push([job.path]);
      continue;
    }
    current.push(job.path);
    currentBytes += job.size;
    if (current.length >= 512 || currentBytes >= 8 * CHUNK) {
      batches.push(current);
      current = [];
      currentBytes = 0;
    }
  }
  if (current.length > 0) batches.push(current);

  const workerCount = Math.min(parallelism, batches.length);
  let next = 0;
  const workers: Worker[] = [];
  try {
    await Promise.all(
      Array.from({ length: workerCount }, () => {
        const worker = new Worker(WORKER_SOURCE, { eval: true });
        workers.push(worker);
        return new Promise<void>((resolveWorker, reject) => {
          const dispatch = () => {
            if (next >= batches.length) {
              resolveWorker();
              return;
            }
            const id = next++;
            worker.postMessage({ id, paths: batches[id] });
          };
          worker.on("message", (message: { progress?: number; results?: WorkerResult[] }) => {
            if (message.progress !== undefined) {
              progress.bytes += message.progress;
              onProgress?.(progress);
              return;
            }
            for (const result of message.results ?? []) {
              if (result.error !== undefined) {
                reject(new Error(`cannot read ${result.path}: ${result.error}`));
                return;
              }
              digests.set(result.path, result.sha256!);
              progress.files++;
            }
            onProgress?.(progress);
            dispatch();
          });
          worker.on("error", reject);
          dispatch();
        });
      }),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return digests;
}
