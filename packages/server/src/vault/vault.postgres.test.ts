import { afterAll, beforeAll } from "vitest";
import { openPostgresStore } from "../store/postgres/postgres-store.js";
import { type TestPostgres, startTestPostgres } from "../test-support/postgres.js";
import { vaultSuite } from "./vault.suite.js";

let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

vaultSuite({
  backend: "postgres",
  async fresh() {
    const connectionString = await server.createDatabase();
    return { open: () => openPostgresStore({ connectionString }) };
  },
});
