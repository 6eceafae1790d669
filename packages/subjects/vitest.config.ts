import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Hash workers, real directory trees and `git init` on a shared two-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
