import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import {
  checkTitle,
  type DigestSet,
  keyIdOf,
  parseDigestReference,
  parsePolicy,
  ProvenantError,
  publicKeyFromPem,
  type VerificationReport,
  verify,
} from "@provenant/core";
import { type Io, readSignedDocuments, resolveSubjects } from "@provenant/cli";
import type { ActionContext } from "../context.js";
import type { VerifyActionInputs } from "../inputs.js";
import { verifySummary } from "../summary.js";

export interface VerifyActionResult {
  verified: boolean;
  report: VerificationReport;
  /** Why it failed, one line per failed check; empty when verified. */
  failures: string[];
  summary: string;
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (cause) {
    throw new ProvenantError("IO_ERROR", `cannot read ${what} ${path}: ${(cause as Error).message}`, { cause });
  }
}

/** The public-key input holds PEM text (from a variable) or a path to a PEM file. */
async function trustedKeyOf(input: string, cwd: string) {
  if (!input.trim()) throw new ProvenantError("USAGE", "the public-key input is empty; expected PEM text or a path to a .pub file");
  const pem = input.includes("-----BEGIN") ? input : await readText(resolve(cwd, input.trim()), "public key");
  const publicKey = publicKeyFromPem(pem, "the public-key input");
  return { publicKey, keyId: keyIdOf(publicKey) };
}

function policyOf(inputs: VerifyActionInputs) {
  const level = inputs.slsaLevel ? Number(inputs.slsaLevel) : undefined;
  if (level !== undefined && !Number.isInteger(level)) {
    throw new ProvenantError("INVALID_POLICY", `slsa-level ${inputs.slsaLevel}: expected 0, 1, 2 or 3`);
  }
  const fields = {
    builderId: inputs.builderId,
    buildType: inputs.buildType,
    sourceUri: inputs.sourceUri,
    sourceBranch: inputs.sourceBranch,
    sourceTag: inputs.sourceTag,
    sourceVersionedTag: inputs.sourceVersionedTag,
    minimumLevel: level,
  };
  return parsePolicy(Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined && value !== "")));
}

/**
 * The verify action, a deployment gate: the bundle must be signed by the
 * trusted key, name the artifacts as subjects and meet the policy. A failed
 * verification is a result (the entry fails the job with its reasons); bad
 * inputs throw.
 */
export async function runVerifyAction(inputs: VerifyActionInputs, context: ActionContext): Promise<VerifyActionResult> {
  if (inputs.subjectPaths.length + inputs.subjectDigests.length === 0) {
    throw new ProvenantError("USAGE", "nothing to verify against; give subject-path or subject-digest (sha256:<hex>)");
  }
  const policy = policyOf(inputs);
  const trustedKeys = [await trustedKeyOf(inputs.publicKey, context.cwd)];
  const artifactDigests: DigestSet[] = inputs.subjectDigests.map((text) => {
    const digest = parseDigestReference(text);
    if (!digest) throw new ProvenantError("INVALID_DIGEST", `subject-digest ${text}: expected sha256:<64 lowercase hex characters>`);
    return { [digest.algorithm]: digest.hex };
  });
  if (inputs.subjectPaths.length > 0) {
    const io: Io = { stdout: context.info, stderr: (text) => context.warn(text.trimEnd()), env: context.env, cwd: context.cwd, isTTY: false };
    const subjects = await resolveSubjects({ patterns: inputs.subjectPaths, checksumFiles: [], digests: [], progress: false }, io);
    artifactDigests.push(...subjects.map((s) => s.digest));
  }
  const bundlePath = resolve(context.cwd, inputs.bundlePath);
  const documents = readSignedDocuments(await readText(bundlePath, "bundle"), inputs.bundlePath);
  const reports = documents.map((document) => verify(document, { trustedKeys, artifactDigests, policy }));
  // A collection verifies when one of its envelopes does, as `provenant verify` decides.
  const report = reports.find((r) => r.verified) ?? reports[0]!;
  return {
    verified: report.verified,
    report,
    failures: report.checks.filter((c) => c.status === "fail").map((c) => `${checkTitle(c.id)}: ${c.reason}`),
    summary: verifySummary(report, inputs.bundlePath),
  };
}
