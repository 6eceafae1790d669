import * as core from "@actions/core";
import { failureMessage, runnerContext, writeSummary } from "../entry.js";
import { verifyInputsFrom } from "../inputs.js";
import { runVerifyAction } from "./run.js";

/** packages/github/verify: fails the job unless the provenance verifies. */
export async function run(): Promise<void> {
  try {
    const inputs = verifyInputsFrom((name) => core.getInput(name));
    if (inputs.registryPassword) core.setSecret(inputs.registryPassword);
    const result = await runVerifyAction(inputs, runnerContext());
    const { statement: _statement, ...report } = result.report;
    core.setOutput("verified", String(result.verified));
    core.setOutput("slsa-level", String(result.report.slsaLevel.level));
    core.setOutput("report", JSON.stringify(report));
    await writeSummary(result.summary);
    if (result.verified) {
      core.info(`verified: SLSA Build L${result.report.slsaLevel.level}, signed by ${result.report.signedBy.join(", ")}`);
    } else {
      core.setFailed(`provenance did not verify:\n${result.failures.join("\n")}`);
    }
  } catch (error) {
    core.setFailed(failureMessage(error));
  }
}
