import { isProvenantError, ProvenantError } from "@provenant/core";
import * as tl from "azure-pipelines-task-lib/task";
import { filePathInput, lineInputs, maskSecret, optionalInput, readSecret, registryConnectionInput } from "../task-lib.js";
import { runAttestTask, SIGNING_KEY_VARIABLE } from "./run.js";

async function main() {
  try {
    // Secrets first, so they are masked before any later line could show them.
    // The job access token: mapped with env:, the System.AccessToken variable,
    // or the SYSTEMVSSCONNECTION endpoint the agent gives every task.
    const accessToken =
      readSecret(() => process.env.SYSTEM_ACCESSTOKEN) ??
      readSecret(() => tl.getVariable("System.AccessToken")) ??
      readSecret(() => tl.getEndpointAuthorizationParameter("SYSTEMVSSCONNECTION", "AccessToken", true));
    const signingKey = readSecret(() => tl.getInput("signingKey", false));
    const keyPassword = readSecret(() => tl.getInput("keyPassword", false)) ?? maskSecret(process.env.PROVENANT_KEY_PASSWORD);
    maskSecret(process.env[SIGNING_KEY_VARIABLE]);
    maskSecret(process.env.PROVENANT_REGISTRY_PASSWORD);
    const registryConnection = registryConnectionInput("dockerRegistryServiceConnection");
    const serverUrl = optionalInput("serverUrl");
    if (serverUrl && (signingKey || filePathInput("signingKeyFile"))) {
      throw new ProvenantError("USAGE", "serverUrl is set together with a signing key; expected one of them (the signing service signs with its own key)");
    }
    const result = await runAttestTask(
      {
        subjectPatterns: lineInputs("subjects"),
        images: lineInputs("images"),
        pushToRegistry: tl.getBoolInput("pushToRegistry", false),
        registryConnection,
        workingDirectory: tl.getPathInput("workingDirectory", false) || process.cwd(),
        subjectRoot: optionalInput("subjectRoot"),
        signingKey,
        signingKeyFile: filePathInput("signingKeyFile"),
        keyPassword,
        bundlePath: tl.getInput("bundlePath", true)!,
        tokenAudience: optionalInput("tokenAudience"),
        ...(serverUrl ? { serverUrl } : {}),
        environment: {
          ...process.env,
          SYSTEM_ACCESSTOKEN: accessToken,
          SYSTEM_OIDCREQUESTURI: tl.getVariable("System.OidcRequestUri"),
        },
      },
      { log: console.log, warn: (message) => tl.warning(message), fetch: globalThis.fetch, now: () => new Date(), mask: (token) => tl.setSecret(token) },
    );
    tl.setVariable("bundlePath", result.bundlePath, false, true);
    tl.setVariable("keyId", result.keyId, false, true);
    tl.setVariable("factsSource", result.factsSource, false, true);
    tl.setVariable("imageDigests", result.imageDigests.join(","), false, true);
    tl.setVariable("pushedAttestations", result.pushed.map((p) => p.attestation).join(","), false, true);
    tl.setResult(tl.TaskResult.Succeeded, `provenance for ${result.subjects.length} subject(s) written to ${result.bundlePath}${result.pushed.length > 0 ? ` and pushed beside ${result.pushed.length} image(s)` : ""}`);
  } catch (error) {
    tl.setResult(tl.TaskResult.Failed, isProvenantError(error) ? `${error.code}: ${error.message}` : `unexpected error: ${(error as Error).message}`);
  }
}

void main();
