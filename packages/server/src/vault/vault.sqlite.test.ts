import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import { vaultSuite } from "./vault.suite.js";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

vaultSuite({
  backend: "sqlite",
  async fresh() {
    const dir = mkdtempSync(join(tmpdir(), "provenant-vault-"));
    dirs.push(dir);
    const path = join(dir, "vault.sqlite");
    return { open: async () => openSqliteStore({ path }) };
  },
});
