import { type FileHandle, open } from "node:fs/promises";
import { dirname } from "node:path";
import { Worker } from "node:worker_threads";
import { ProvenantError } from "@provenant/core";

/**
 * Durable SQLite commits that never stall the event loop on the disk.
 *
 * node:sqlite is synchronous: with `synchronous=FULL` every COMMIT waits for
 * fsync on the event loop (2–3 ms a batch here, tens of ms at times), and
 * every 1,000 WAL pages the commit also runs a checkpoint (copying pages into
 * the database file, with two more fsyncs). Every request in flight waits
 * meanwhile. So the connection commits with `synchronous=NORMAL` (the WAL is
 * written, not synced), and then:
 *
 * - `sync()` fsyncs the WAL file from the libuv thread pool; a write is
 *   acknowledged only after it resolves. The WAL is append-only between
 *   checkpoints, so one fsync covers every frame written before it. A
 *   checkpoint that already moved the frames into the database file synced
 *   that file first (SQLite syncs on checkpoint at `NORMAL`), so the data is
 *   on disk either way.
 * - checkpoints run in a worker thread on its own connection (PASSIVE: it
 *   never blocks this connection's writers), requested every
 *   `CHECKPOINT_EVERY` commits, with the main connection's auto-checkpoint
 *   off. If the worker fails, auto-checkpoint comes back on.
 */
export interface WalDurability {
  /** Resolves once every WAL frame written so far is on disk. */
  sync(): Promise<void>;
  /** Counts a commit; asks the worker for a checkpoint when enough have passed. */
  committed(): void;
  /** Runs a checkpoint now and waits for it (tests, and close). */
  checkpoint(): Promise<{ log: number; checkpointed: number }>;
  close(): Promise<void>;
}

/** Commits between checkpoint requests: a few hundred WAL pages, so the WAL stays small and each checkpoint short. */
export const CHECKPOINT_EVERY = 32;

// The worker's whole program: a script, so that it survives bundling (the
// CLI inlines this package) without a file of its own to find at run time.
const CHECKPOINTER = `
const { parentPort, workerData } = require("node:worker_threads");
const { DatabaseSync } = require("node:sqlite");
const db = new DatabaseSync(workerData.path);
parentPort.on("message", (message) => {
  if (message === "close") {
    db.close();
    parentPort.close();
    return;
  }
  try {
    const row = db.prepare("PRAGMA wal_checkpoint(PASSIVE)").get();
    parentPort.postMessage({ ok: true, log: Number(row.log), checkpointed: Number(row.checkpointed) });
  } catch (error) {
    parentPort.postMessage({ ok: false, message: String(error && error.message) });
  }
});
`;

export function walDurability(path: string, onWorkerFailure: (error: Error) => void): WalDurability {
  let handle: Promise<FileHandle> | undefined;
  const walHandle = () => {
    handle ??= (async () => {
      const wal = await open(`${path}-wal`, "r");
      // The WAL file was created by SQLite: make its directory entry durable once too.
      const directory = await open(dirname(path), "r");
      try {
        await directory.sync();
      } finally {
        await directory.close();
      }
      return wal;
    })();
    return handle;
  };

  let worker: Worker | undefined = new Worker(CHECKPOINTER, { eval: true, workerData: { path } });
  worker.unref();
  const waiting: ((result: { ok: boolean; log?: number; checkpointed?: number; message?: string }) => void)[] = [];
  let failed = false;
  const fail = (error: Error) => {
    if (failed) return;
    failed = true;
    worker = undefined;
    for (const resolve of waiting.splice(0)) resolve({ ok: false, message: error.message });
    onWorkerFailure(error);
  };
  worker.on("message", (result) => waiting.shift()?.(result));
  worker.on("error", fail);
  worker.on("exit", (code) => {
    if (code !== 0) fail(new Error(`the checkpoint worker exited with code ${code}`));
    worker = undefined;
  });

  const ask = () =>
    new Promise<{ ok: boolean; log?: number; checkpointed?: number; message?: string }>((resolve) => {
      if (!worker) return resolve({ ok: false, message: "the checkpoint worker is not running" });
      waiting.push(resolve);
      worker.postMessage("checkpoint");
    });

  let commits = 0;
  let inFlight = false;
  return {
    async sync() {
      try {
        await (await walHandle()).sync();
      } catch (cause) {
        throw new ProvenantError("IO_ERROR", `cannot sync the SQLite log file ${path}-wal: ${(cause as Error).message}`, { cause });
      }
    },
    committed() {
      commits++;
      if (commits < CHECKPOINT_EVERY || inFlight || !worker) return;
      commits = 0;
      inFlight = true;
      void ask().finally(() => {
        inFlight = false;
      });
    },
    async checkpoint() {
      const result = await ask();
      if (!result.ok) throw new ProvenantError("IO_ERROR", `the SQLite checkpoint failed: ${result.message}`);
      return { log: result.log!, checkpointed: result.checkpointed! };
    },
    async close() {
      const running = worker;
      worker = undefined;
      if (running) {
        const exited = new Promise((resolve) => running.once("exit", resolve));
        // Unref'd while serving; held now, or a process with nothing else left would exit before the worker does.
        running.ref();
        running.postMessage("close");
        await exited;
      }
      if (handle) await (await handle.catch(() => undefined))?.close();
    },
  };
}
