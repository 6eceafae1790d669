import { isProvenantError } from "@provenant/core";
import * as tl from "azure-pipelines-task-lib/task";
import { filePathInput, lineInputs as lines, maskSecret, optionalInput as optional, registryConnectionInput } from "../task-lib.js";
import { runVerifyTask } from "./run.js";

async function main() {
  try {
    maskSecret(process.env.PROVENANT_REGISTRY_PASSWORD);
    const registryConnection = registryConnectionInput("dockerRegistryServiceConnection");
    const level = optional("minimumSlsaLevel");
    const { report, attestation, imageDigest } = await runVerifyTask(
      {
        artifactPatterns: lines("artifacts"),
        bundlePath: filePathInput("bundlePath"),
        image: optional("image"),
        registryConnection,
        environment: process.env,
        workingDirectory: tl.getPathInput("workingDirectory", false) || process.cwd(),
        publicKeys: optional("publicKey") ? [optional("publicKey")!] : [],
        publicKeyFiles: lines("publicKeyFile"),
        builderId: optional("builderId"),
        buildType: optional("buildType"),
        sourceUri: optional("sourceUri"),
        sourceBranch: optional("sourceBranch"),
        sourceTag: optional("sourceTag"),
        sourceVersionedTag: optional("sourceVersionedTag"),
        minimumLevel: level === undefined ? undefined : Number(level),
      },
      { log: console.log, warn: (message) => tl.warning(message), fetch: globalThis.fetch, now: () => new Date() },
    );
    tl.setVariable("verified", String(report.verified), false, true);
    tl.setVariable("slsaLevel", String(report.slsaLevel.level), false, true);
    if (attestation) tl.setVariable("attestation", attestation, false, true);
    // Only a verified image is named, so a deploy step reading this can never pick up one that failed.
    if (imageDigest && report.verified) tl.setVariable("imageDigest", imageDigest, false, true);
    if (report.verified) {
      tl.setResult(tl.TaskResult.Succeeded, `provenance verified (SLSA Build L${report.slsaLevel.level})`);
    } else {
      const failed = report.checks.filter((check) => check.status === "fail").map((check) => `${check.id}: ${check.reason}`);
      tl.setResult(tl.TaskResult.Failed, `provenance did not verify: ${failed.join("; ")}`);
    }
  } catch (error) {
    tl.setVariable("verified", "false", false, true);
    tl.setResult(tl.TaskResult.Failed, isProvenantError(error) ? `${error.code}: ${error.message}` : `unexpected error: ${(error as Error).message}`);
  }
}

void main();
