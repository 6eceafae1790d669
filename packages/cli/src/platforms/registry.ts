import type { PlatformAdapter, PlatformName } from "@provenant/core";
import { localFacts } from "./local/facts.js";
import { localProvenance } from "./local/provenance.js";
import { CLI_VERSION } from "../version.js";

const local: PlatformAdapter = {
  platform: "local",
  async collect(context) {
    return localProvenance(await localFacts(context.cwd, context.now(), CLI_VERSION));
  },
};

/** One entry per platform; adapters are loaded only when chosen. */
export const ADAPTERS: Record<PlatformName, () => Promise<PlatformAdapter>> = {
  github: async () => (await import("@provenant/github")).adapter,
  gitlab: async () => (await import("@provenant/gitlab")).adapter,
  jenkins: async () => (await import("@provenant/jenkins")).adapter,
  "azure-pipelines": async () => (await import("@provenant/azure-pipelines")).adapter,
  local: async () => local,
};
