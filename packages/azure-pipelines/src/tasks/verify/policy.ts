import { readFile, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { type DigestSet, ProvenantError, readSignedDocumentsText } from "@provenant/core";
import { type ArtifactDecision, evaluateArtifacts, explainDecisions, loadPolicy, policySummaryMarkdown } from "@provenant/policy";
import { subjectsOf } from "../subjects.js";
import type { TaskIo } from "../task-io.js";
import { logText } from "./escape.js";

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
  decisions: ArtifactDecision<{ name: string; digest: DigestSet }>[];
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
 * way `provenant verify --policy` does (one evaluation path: @provenant/policy's
 * evaluateArtifacts, explainDecisions and policySummaryMarkdown).
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
  const { allowed, decisions, slsaLevel } = await evaluateArtifacts(
    policy,
    subjects.map((subject) => ({ artifact: { name: subject.name ?? `sha256:${subject.digest.sha256}`, digest: subject.digest }, documents })),
    { now: io.now() },
  );
  // Every line quotes the evidence: escaped for the log (no control
  // characters, no logging command); the summary escapes for its markdown.
  for (const line of explainDecisions(decisions)) io.log(logText(line));
  io.log(allowed ? `ALLOWED by policy ${logText(inputs.policyPath)}` : `DENIED by policy ${logText(inputs.policyPath)}`);
  return {
    allowed,
    decisions,
    summaryMarkdown: policySummaryMarkdown({ policyPath: inputs.policyPath, policyDigest: policy.digest, decisions, allowed }),
    slsaLevel,
  };
}
