import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Random trees of up to 10^5 leaves and a python3 cross-check: seconds on a busy machine.
    testTimeout: 60_000,
  },
});
