import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, describe, expect, it } from "vitest";
import { storeConformance } from "../store.conformance.js";
import { openSqliteStore } from "./sqlite-store.js";
import { CHECKPOINT_EVERY } from "./wal-durability.js";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

storeConformance({
  backend: "sqlite",
  async fresh() {
    const dir = mkdtempSync(join(tmpdir(), "provenant-sqlite-"));
    dirs.push(dir);
    const path = join(dir, "data", "vault.sqlite");
    return {
      store: openSqliteStore({ path }),
      reopen: async () => openSqliteStore({ path }),
      async recordSchemaVersion(version: number) {
        const db = new DatabaseSync(path);
        db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)").run(version, "2026-01-01T00:00:00Z");
        db.close();
      },
    };
  },
});

describe("SQLite commits and checkpoints", () => {
  it("checkpoints in a worker thread: after it, the database file alone holds every acknowledged write", async () => {
    const dir = mkdtempSync(join(tmpdir(), "provenant-sqlite-checkpoint-"));
    dirs.push(dir);
    const path = join(dir, "vault.sqlite");
    const store = openSqliteStore({ path });
    const audit = (n: number) => ({ actor: "cli", action: "token.create", target: `t${n}`, at: "2026-12-01T00:00:00Z" });
    for (let n = 0; n < 3 * CHECKPOINT_EVERY; n++) {
      await store.putToken({ id: `t${n}`, secretHash: `${n}`.padStart(64, "0"), project: "acme/app", scope: "read", createdAt: "2026-12-01T00:00:00Z" }, audit(n));
    }
    const { log, checkpointed } = await store.checkpointNow();
    expect(log).toBeGreaterThan(0);
    expect(checkpointed).toBe(log);
    // The database file without its WAL: what a crash right now would leave if the WAL were lost.
    copyFileSync(path, join(dir, "copy.sqlite"));
    const copy = new DatabaseSync(join(dir, "copy.sqlite"), { readOnly: true });
    expect(copy.prepare("SELECT COUNT(*) AS n FROM api_tokens").get()).toEqual({ n: 3 * CHECKPOINT_EVERY });
    copy.close();
    await store.close();
  });
});
