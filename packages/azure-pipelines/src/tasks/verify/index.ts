import { isProvenantError } from "@provenant/core";
import * as tl from "azure-pipelines-task-lib/task";
import { lineInputs as lines, optionalInput as optional } from "../task-lib.js";
import { runVerifyTask } from "./run.js";

async function main() {
  try {
    const level = optional("minimumSlsaLevel");
    const report = await runVerifyTask(
      {
        artifactPatterns: lines("artifacts"),
        workingDirectory: tl.getPathInput("workingDirectory", false) || process.cwd(),
        bundlePath: tl.getInput("bundlePath", true)!,
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
