import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // The component tests run gitlab-ci-local, which runs the built CLI as
    // child processes, on a shared two-core machine.
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
