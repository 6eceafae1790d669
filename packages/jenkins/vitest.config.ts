import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    // groovy (a JVM) and the built CLI run as child processes on a shared
    // two-core machine.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
