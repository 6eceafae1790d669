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
    };
  },
});
