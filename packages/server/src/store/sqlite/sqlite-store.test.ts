import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll } from "vitest";
import { storeConformance } from "../store.conformance.js";
import { openSqliteStore } from "./sqlite-store.js";

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
