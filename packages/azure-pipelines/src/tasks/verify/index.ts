import { mkdir, rename, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isProvenantError, ProvenantError } from "@provenant/core";
import * as tl from "azure-pipelines-task-lib/task";
import { filePathInput, lineInputs as lines, maskSecret, optionalInput as optional, registryConnectionInput } from "../task-lib.js";
import { runPolicyVerify } from "./policy.js";
import { runVerifyTask } from "./run.js";

const io = { log: console.log, warn: (message: string) => tl.warning(message), fetch: globalThis.fetch, now: () => new Date() };

/** The inputs a policy file replaces: one evaluation path, so they cannot be mixed with it. */
const POLICY_REPLACES = ["publicKey", "publicKeyFile", "builderId", "buildType", "sourceUri", "sourceBranch", "sourceTag", "sourceVersionedTag", "minimumSlsaLevel"];

async function withPolicy(policyPath: string) {
  const mixed = POLICY_REPLACES.filter((name) => optional(name) !== undefined);
  if (mixed.length > 0) {
    throw new ProvenantError(
      "USAGE",
      `policy is set together with ${mixed.join(", ")}; expected the policy file alone to name the trusted keys and rules (with policy, the evidence comes from artifacts and bundlePath, or image, and evidence)`,
    );
  }
  const bundlePath = filePathInput("bundlePath");
  const image = optional("image");
  const temp = tl.getVariable("Agent.TempDirectory") || tmpdir();
  const registryConnection = registryConnectionInput("dockerRegistryServiceConnection");
  const result = await runPolicyVerify(
    {
      policyPath,
      artifactPatterns: lines("artifacts"),
      ...(bundlePath ? { bundlePath } : {}),
      ...(image ? { image, environment: process.env } : {}),
      ...(registryConnection ? { registryConnection } : {}),
      evidencePaths: lines("evidence"),
      workingDirectory: tl.getPathInput("workingDirectory", false) || process.cwd(),
      cacheDir: join(temp, "provenant", "rego"),
      ...(process.env.PROVENANT_OPA ? { opa: process.env.PROVENANT_OPA } : {}),
    },
    io,
  );
  // The summary tab (Extensions tab of the run): a markdown file the agent uploads.
  const folder = join(temp, "provenant");
  await mkdir(folder, { recursive: true });
  const summary = join(folder, `policy-summary-${process.pid}.md`);
  await writeFile(`${summary}.tmp`, result.summaryMarkdown);
  await rename(`${summary}.tmp`, summary);
  tl.uploadSummary(summary);
  tl.setVariable("verified", String(result.allowed), false, true);
  tl.setVariable("slsaLevel", String(result.slsaLevel), false, true);
  // Only an allowed image is named, so a deploy step reading this can never pick up one that was denied.
  if (result.imageDigest && result.allowed) tl.setVariable("imageDigest", result.imageDigest, false, true);
  if (result.allowed) {
    tl.setResult(tl.TaskResult.Succeeded, `allowed by policy ${policyPath} (${result.decisions.length} artifact(s))`);
  } else {
    const denied = result.decisions.filter((d) => !d.decision.allowed).map((d) => d.artifact.name);
    tl.setResult(tl.TaskResult.Failed, `POLICY_DENIED: policy ${policyPath} denies ${denied.join(", ")}; see the log or the summary for each rule`);
  }
}

async function withoutPolicy() {
  const registryConnection = registryConnectionInput("dockerRegistryServiceConnection");
  const level = optional("minimumSlsaLevel");
  if (lines("evidence").length > 0) throw new ProvenantError("USAGE", "evidence is set without policy; expected a policy file whose rules require that evidence");
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
    io,
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
}

async function main() {
  try {
    maskSecret(process.env.PROVENANT_REGISTRY_PASSWORD);
    const policy = filePathInput("policy");
    if (policy) await withPolicy(policy);
    else await withoutPolicy();
  } catch (error) {
    tl.setVariable("verified", "false", false, true);
    tl.setResult(tl.TaskResult.Failed, isProvenantError(error) ? `${error.code}: ${error.message}` : `unexpected error: ${(error as Error).message}`);
  }
}

void main();
