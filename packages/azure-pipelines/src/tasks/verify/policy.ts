import { readFile, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { type DigestSet, ProvenantError, readSignedDocumentsText } from "@provenant/core";
import { evaluatePolicy, explainDecision, loadPolicy, type PolicyDecision } from "@provenant/policy";
import { subjectsOf } from "../subjects.js";
import type { TaskIo } from "../task-io.js";
import { logText, markdownText } from "./escape.js";

/** ProvenantVerify@1 with `policy`: the policy file decides, with the bundle and any other evidence. */
export interface PolicyVerifyInputs {
  /** The policy file (`apiVersion: provenant.dev/v1`), relative to the working directory. */
  policyPath: string;
  artifactPatterns: string[];
  /** The provenance bundle; and further attestations (test results, scans, VSAs) as `evidence`. */
  bundlePath: string;
  evidencePaths: string[];
  workingDirectory: string;
  /** Where Rego modules compiled by `opa` are cached (the agent's temp directory). */
  cacheDir: string;
  /** The opa binary for `module:` Rego rules (default `opa` on PATH). */
  opa?: string;
}

export interface PolicyVerifyResult {
  allowed: boolean;
  decisions: { artifact: { name: string; digest: DigestSet }; decision: PolicyDecision }[];
  /** The per-rule explanation for the summary tab, every quoted value escaped. */
  summaryMarkdown: string;
  /** The lowest SLSA Build level among the artifacts' deciding reports (0 when one has none). */
  slsaLevel: number;
}

const MAX_EVIDENCE_BYTES = 64 * 1024 * 1024;

async function readEvidence(path: string, workingDirectory: string): Promise<unknown[]> {
  const full = resolve(workingDirectory, path);
  const info = await stat(full).catch((cause: unknown) => {
    throw new ProvenantError("IO_ERROR", `cannot read ${path}: ${(cause as Error).message}`, { cause });
  });
  if (!info.isFile()) throw new ProvenantError("IO_ERROR", `${path} is not a regular file; expected a Sigstore bundle or .intoto.jsonl`);
  if (info.size > MAX_EVIDENCE_BYTES) throw new ProvenantError("IO_ERROR", `${path} is larger than ${MAX_EVIDENCE_BYTES} bytes`);
  return readSignedDocumentsText(await readFile(full, "utf8"), path);
}

/**
 * Evaluates the policy for every artifact with all the evidence given, the
 * way `provenant verify --policy` does (one evaluation path: @provenant/policy).
 * A denial is a result, not a throw; the entry fails the task on it.
 */
export async function runPolicyVerify(inputs: PolicyVerifyInputs, io: TaskIo): Promise<PolicyVerifyResult> {
  if (inputs.artifactPatterns.length === 0) {
    throw new ProvenantError("USAGE", "policy is set but no artifacts; expected the files to check in artifacts, one per line");
  }
  const policy = await loadPolicy(resolve(inputs.workingDirectory, inputs.policyPath), {
    cacheDir: inputs.cacheDir,
    fetch: io.fetch,
    ...(inputs.opa ? { opa: inputs.opa } : {}),
  });
  const documents: unknown[] = [];
  for (const path of [inputs.bundlePath, ...inputs.evidencePaths]) documents.push(...(await readEvidence(path, inputs.workingDirectory)));
  const subjects = await subjectsOf(inputs.artifactPatterns, { workingDirectory: inputs.workingDirectory, what: "artifact", warn: io.warn, refuseSkipped: true });
  const now = io.now();
  const decisions: PolicyVerifyResult["decisions"] = [];
  for (const subject of subjects) {
    const artifact = { name: subject.name ?? `sha256:${subject.digest.sha256}`, digest: subject.digest };
    decisions.push({ artifact, decision: await evaluatePolicy(policy, artifact, documents, { now }) });
  }
  const allowed = decisions.every(({ decision }) => decision.allowed);
  // Every line quotes the evidence: escaped for the log (no control
  // characters, no logging command) and, below, for the summary's markdown.
  for (const { artifact, decision } of decisions) {
    io.log(logText(artifact.name));
    for (const line of explainDecision(decision)) io.log(`  ${logText(line)}`);
  }
  io.log(allowed ? `ALLOWED by policy ${logText(inputs.policyPath)}` : `DENIED by policy ${logText(inputs.policyPath)}`);
  const slsaLevel = Math.min(...decisions.map(({ decision }) => decision.report?.slsaLevel.level ?? 0));
  return { allowed, decisions, summaryMarkdown: summaryOf(inputs.policyPath, policy.digest.sha256, allowed, decisions), slsaLevel };
}

/** The summary tab: one section per artifact, one table row per rule and check. */
function summaryOf(policyPath: string, digest: string, allowed: boolean, decisions: PolicyVerifyResult["decisions"]): string {
  const out = [
    `## Provenant policy: ${allowed ? "allowed" : "denied"}`,
    "",
    `Policy \`${markdownCode(policyPath)}\` (sha256 \`${digest}\`).`,
    "",
  ];
  for (const { artifact, decision } of decisions) {
    out.push(`### ${markdownText(artifact.name)}: ${decision.allowed ? "ALLOWED" : "DENIED"}`, "");
    out.push(`${markdownText(decision.reason)}`, "");
    if (decision.report) out.push(`SLSA Build L${decision.report.slsaLevel.level}: ${markdownText(decision.report.slsaLevel.reason)}`, "");
    out.push("| result | rule / check | reason |", "| --- | --- | --- |");
    for (const rule of decision.rules) {
      const mark = rule.status === "pass" ? "PASS" : rule.status === "fail" ? "FAIL" : "N/A";
      out.push(`| ${mark} | ${markdownText(rule.rule)} | ${markdownText(rule.reason)} |`);
      for (const check of rule.checks) out.push(`| ${check.pass ? "pass" : "FAIL"} | ${markdownText(check.name)} | ${markdownText(check.reason)} |`);
    }
    out.push("");
  }
  return out.join("\n");
}

/** Inside a code span only a backtick could end it early. */
function markdownCode(text: string): string {
  return logText(text).replaceAll("`", "'");
}
