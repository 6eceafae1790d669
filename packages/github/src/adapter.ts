import type { PlatformAdapter } from "@provenant/core";
import { githubFacts } from "./facts/facts.js";
import { provenance } from "./provenance.js";

/** The GitHub Actions platform for `provenant attest --platform github`. */
export const adapter: PlatformAdapter = {
  platform: "github",
  async collect(context) {
    return provenance(await githubFacts(context));
  },
};
