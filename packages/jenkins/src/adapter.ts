import type { PlatformAdapter } from "@provenant/core";
import { jenkinsFacts } from "./facts/collect.js";
import { jenkinsProvenance } from "./provenance/provenance.js";

/** The Jenkins platform for the CLI: `provenant attest --platform jenkins`. */
export const adapter: PlatformAdapter = {
  platform: "jenkins",
  async collect(context) {
    return jenkinsProvenance(await jenkinsFacts(context));
  },
};
