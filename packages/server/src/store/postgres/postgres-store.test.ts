import pg from "pg";
import { afterAll, beforeAll } from "vitest";
import { type TestPostgres, startTestPostgres } from "../../test-support/postgres.js";
import { storeConformance } from "../store.conformance.js";
import { openPostgresStore } from "./postgres-store.js";

let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

storeConformance({
  backend: "postgres",
  async fresh() {
    const connectionString = await server.createDatabase();
    return {
      store: await openPostgresStore({ connectionString }),
      reopen: () => openPostgresStore({ connectionString }),
      async recordSchemaVersion(version: number) {
        const client = new pg.Client({ connectionString });
        await client.connect();
        await client.query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", [version, "2026-01-01T00:00:00Z"]);
        await client.end();
      },
    };
  },
});
