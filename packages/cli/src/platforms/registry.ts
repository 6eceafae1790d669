import type { PlatformAdapter, PlatformName } from "@provenant/core";
import { localFacts } from "./local/facts.js";
import { localProvenance } from "./local/provenance.js";

declare const PROVENANT_VERSION: string;
export const CLI_VERSION = typeof PROVENANT_VERSION === "string" ? PROVENANT_VERSION : "0.0.0-dev";

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
