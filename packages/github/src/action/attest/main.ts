import * as core from "@actions/core";
import { runAttestAction } from "./run.js";
import { failureMessage, runnerContext, writeSummary } from "../entry.js";
import { attestInputsFrom, secretLinesOf } from "../inputs.js";

/** packages/github/attest: inputs in, runAttestAction, outputs out. */
export async function run(): Promise<void> {
  try {
    const inputs = attestInputsFrom((name) => core.getInput(name));
    // Masked before anything can print them; a PEM is masked line by line
    // because the runner matches secrets within single log lines.
    for (const secret of [inputs.signingKey, ...secretLinesOf(inputs.signingKey), inputs.keyPassword, inputs.githubToken, inputs.registryPassword]) {
      if (secret) core.setSecret(secret);
    }
    const result = await runAttestAction(inputs, runnerContext());
    core.setOutput("bundle-path", result.bundlePath);
    core.setOutput("subjects", JSON.stringify(result.subjects));
    core.setOutput("pushed", JSON.stringify(result.pushed));
    core.info(`attested ${result.subjects.length} subject(s), signed by key ${result.keyId}: ${result.bundlePath}`);
    for (const p of result.pushed) core.info(`pushed attestation ${p.attestation} beside ${p.image} (${p.via})`);
    await writeSummary(result.summary);
  } catch (error) {
    core.setFailed(failureMessage(error));
  }
}
