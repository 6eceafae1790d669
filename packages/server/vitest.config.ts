import { defineConfig } from "vitest/config";

// Generous limits: the suites start PostgreSQL clusters and append hundreds of
// entries on machines shared with other builds. Tests assert outcomes, never speed.
export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
