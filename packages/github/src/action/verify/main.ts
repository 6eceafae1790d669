import * as core from "@actions/core";
import { failureMessage, runnerContext, writeSummary } from "../entry.js";
import { verifyInputsFrom } from "../inputs.js";
import { runPolicyVerifyAction } from "./policy.js";
import { runVerifyAction } from "./run.js";

/** packages/github/verify: fails the job unless the provenance verifies. */
export async function run(): Promise<void> {
  try {
    const inputs = verifyInputsFrom((name) => core.getInput(name));
    if (inputs.registryPassword) core.setSecret(inputs.registryPassword);
    if (inputs.policy) {
      await runWithPolicy(inputs);
      return;
    }
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

/** The policy gate: the per-rule explanation in the log, the table in the summary, the job failed on a denial. */
async function runWithPolicy(inputs: ReturnType<typeof verifyInputsFrom>): Promise<void> {
  const result = await runPolicyVerifyAction(inputs, runnerContext());
  for (const line of result.explanation) core.info(line);
  core.setOutput("verified", String(result.verified));
  core.setOutput("slsa-level", String(result.slsaLevel));
  const decisions = result.decisions.map(({ artifact, decision }) => {
    const { report, inputAttestations: _inputs, ...rest } = decision;
    return { artifact, ...rest, ...(report ? { slsaLevel: report.slsaLevel } : {}) };
  });
  core.setOutput("report", JSON.stringify({ policy: inputs.policy, allowed: result.verified, artifacts: decisions }));
  await writeSummary(result.summary);
  if (!result.verified) core.setFailed(`the policy denied:\n${result.failures.join("\n")}`);
}
