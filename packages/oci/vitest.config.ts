import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Registry tests start docker-registry and run skopeo: seconds, not milliseconds.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
