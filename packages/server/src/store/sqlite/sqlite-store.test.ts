import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
    return { store: openSqliteStore({ path }), reopen: async () => openSqliteStore({ path }) };
  },
});
