import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    // Child processes (the built CLI, the action bundles, @github/local-action)
    // on a two-core machine shared with other builds.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
