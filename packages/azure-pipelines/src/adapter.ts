import type { PlatformAdapter } from "@provenant/core";
import { collectAzurePipelinesFacts } from "./facts/collect.js";
import { azurePipelinesProvenance } from "./provenance/provenance.js";

declare const PROVENANT_VERSION: string;
export const PACKAGE_VERSION = typeof PROVENANT_VERSION === "string" ? PROVENANT_VERSION : "0.0.0-dev";

/** The Azure Pipelines platform for the CLI's registry (`--platform azure-pipelines`, or `TF_BUILD=True`). */
export const adapter: PlatformAdapter = {
  platform: "azure-pipelines",
  async collect(context) {
    const facts = await collectAzurePipelinesFacts(context, { provenantVersion: PACKAGE_VERSION });
    return azurePipelinesProvenance(facts);
  },
};
