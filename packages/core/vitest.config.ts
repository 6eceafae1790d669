import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Property tests verify hundreds of signed bundles each: well under a
    // second on an idle machine, but several seconds when two busy cores are
    // shared with the rest of the suite; the 5 s default timed them out.
    testTimeout: 60_000,
  },
});
