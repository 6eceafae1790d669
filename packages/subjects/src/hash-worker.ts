// The hash worker's program and its start, apart from the rest of the
// package: the CLI's entry imports this module alone to start the workers
// before it loads any command (see prestartHashWorkers).
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

export const CHUNK = 1 << 20;
/** A file this large is hashed on its own (own batch, own worker), so that two big files use two cores. */
export const LARGE_BYTES = 4 * CHUNK;

/** How often a file being hashed reports progress. */
export const PROGRESS_STEP = 64 * CHUNK;

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
// size (-1: the walk did not stat it) is read, then read again into the rest
// of the buffer: nothing more is its end (cheaper than an fstat, which
// builds a Stats object, ~2 us a file). One that fills the buffer is fstat-ed
// on its open descriptor, and if large, handed back unhashed ("deferred"),
// so that the main thread can give each large file a thread of its own. Each answered batch also counts up a shared counter, so
// that the main thread, busy walking or hashing (its event loop not turning),
// still knows how far the worker got and tops it up.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { createHash, hash } = require("node:crypto");
const { openSync, readSync, closeSync, fstatSync } = require("node:fs");
const buffer = Buffer.allocUnsafe(${CHUNK});
const answered = new Int32Array(workerData.answered);
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
      let first = readSync(fd, buffer, 0, buffer.length, null);
      if (size < 0) {
        if (first < buffer.length) {
          const more = readSync(fd, buffer, first, buffer.length - first, null);
          if (more === 0) size = first;
          first += more;
        } else {
          size = fstatSync(fd).size;
          if (size >= ${LARGE_BYTES}) {
            deferred.push(i, size);
            digests.push("");
            continue;
          }
        }
      }
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
      Atomics.add(answered, 0, 1);
      parentPort.postMessage({ id: batch.id, failed: path, error: String((error && error.message) || error) });
      return;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
  Atomics.add(answered, 0, 1);
  parentPort.postMessage({ id: batch.id, digests, deferred, progress: pending });
});
`;

/** A hash worker and the counter of batches it answered (shared with it). */
export interface StartedWorker {
  worker: Worker;
  answered: Int32Array;
}

export function startHashWorker(): StartedWorker {
  const answered = new Int32Array(new SharedArrayBuffer(4));
  // A worker holds a couple of batches of paths and a 1 MiB buffer: a
  // small young generation is plenty, and the default one (sized for a
  // main thread) was a measurable share of attest's peak memory per worker.
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { answered: answered.buffer }, resourceLimits: { maxYoungGenerationSizeMb: 4 } });
  return { worker, answered };
}

/** Workers started before anything asked for them, waiting to be adopted by the first HashPool. */
const prestarted: StartedWorker[] = [];

/** Up to `count` prestarted workers, held by the caller from now on. */
export function takePrestartedWorkers(count: number): StartedWorker[] {
  const taken = prestarted.splice(0, count);
  for (const { worker } of taken) worker.ref();
  return taken;
}

/**
 * Starts the hash workers now, before the command that will need them has
 * loaded: a worker takes 40-120 ms to boot (its own copy of Node's internals),
 * which otherwise passes after the walk has already found thousands of files.
 * The CLI calls this first thing for `subjects` and `attest` of a directory.
 * The workers are unref'd until a HashPool adopts them, so a command that
 * ends up hashing a few files on its own thread exits without waiting.
 */
export function prestartHashWorkers(count = Math.max(1, availableParallelism() - 1)): void {
  while (prestarted.length < count) {
    const started = startHashWorker();
    started.worker.unref();
    prestarted.push(started);
  }
}

