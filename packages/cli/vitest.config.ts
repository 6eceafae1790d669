import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Unit tests live next to the code; the interoperability tests drive the
    // built single-file CLI as a child process and live under test/.
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // Child processes (the CLI, Python) on a shared two-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
