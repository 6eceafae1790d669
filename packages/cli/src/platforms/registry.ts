import {
  type CollectContext,
  type PlatformAdapter,
  type PlatformName,
  ProvenantError,
} from "@provenant/core";
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

function notYet(platform: PlatformName, issue: string): PlatformAdapter {
  return {
    platform,
    async collect(_context: CollectContext) {
      throw new ProvenantError(
        "PLATFORM_NOT_AVAILABLE",
        `the ${platform} adapter is not part of this build yet (${issue}); use --platform local, or a build that includes @provenant/${platform}`,
      );
    },
  };
}

/** One entry per platform; adapters are loaded only when chosen. */
export const ADAPTERS: Record<PlatformName, () => Promise<PlatformAdapter>> = {
  github: async () => (await import("@provenant/github")).adapter,
  gitlab: async () => (await import("@provenant/gitlab")).adapter,
  jenkins: async () => (await import("@provenant/jenkins")).adapter,
  "azure-pipelines": async () => (await import("@provenant/azure-pipelines")).adapter,
  local: async () => local,
};
