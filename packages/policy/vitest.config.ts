import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Rego through the real opa binary and fast-check corpora: seconds on two busy cores.
    testTimeout: 60_000,
  },
});
