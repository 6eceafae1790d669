import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import {
  checkTitle,
  type DigestSet,
  keyIdOf,
  parseDigestReference,
  parsePolicy,
  type Policy,
  ProvenantError,
  publicKeyFromPem,
  readSignedDocuments,
  type VerificationReport,
  verify,
} from "@provenant/core";
import { resolveSubjects } from "@provenant/subjects";
import { parseImageArgument, registryClientFromEnvironment, verifyStoredAttestations } from "@provenant/oci";
import { type ActionContext, actionIo } from "../context.js";
import type { VerifyActionInputs } from "../inputs.js";
import { registryEnvironment } from "../registry.js";
import { verifySummary } from "../summary.js";

export interface VerifyActionResult {
  verified: boolean;
  report: VerificationReport;
  /** Why it failed, one line per failed check; empty when verified. */
  failures: string[];
  summary: string;
}

export async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (cause) {
    throw new ProvenantError("IO_ERROR", `cannot read ${what} ${path}: ${(cause as Error).message}`, { cause });
  }
}

/** The public-key input holds PEM text (from a variable) or a path to a PEM file. */
async function publicKeyPemOf(input: string, cwd: string): Promise<string> {
  if (!input.trim()) throw new ProvenantError("USAGE", "the public-key input is empty; expected PEM text or a path to a .pub file");
  const pem = input.includes("-----BEGIN") ? input : await readText(resolve(cwd, input.trim()), "public key");
  publicKeyFromPem(pem, "the public-key input");
  return pem;
}

async function trustedKeyOf(input: string, cwd: string) {
  const publicKey = publicKeyFromPem(await publicKeyPemOf(input, cwd), "the public-key input");
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

const failuresOf = (report: VerificationReport) =>
  report.checks.filter((c) => c.status === "fail").map((c) => `${checkTitle(c.id)}: ${c.reason}`);

function resultOf(report: VerificationReport, checked: { bundlePath: string } | { image: string }): VerifyActionResult {
  return { verified: report.verified, report, failures: failuresOf(report), summary: verifySummary(report, checked) };
}

/**
 * What `verifyStoredAttestations` found, as `provenant verify --image --json`
 * shows it: each report with the attestation's digest and how it is stored
 * (`referrers-api`, `referrers-tag`, `cosign-att`).
 */
type StoredReport = VerificationReport & { attestation: string; storedAs: string };
interface ImageVerification {
  image: string;
  verified: boolean;
  /** The one that verified; when none did, every readable one. */
  attestations: StoredReport[];
}

const signatureVerified = (report: VerificationReport) => report.checks.some((c) => c.id === "signature" && c.status === "pass");

/**
 * The report to show when none verified: one the trusted key signed (so its
 * policy or subject is what failed) says more than one signed by some other
 * key that happens to be listed first, e.g. another team's attestation.
 */
function closestOf(attestations: readonly StoredReport[]): StoredReport | undefined {
  return attestations.find((a) => a.verified) ?? attestations.find(signatureVerified) ?? attestations[0];
}

function imageResultOf(result: ImageVerification): VerifyActionResult {
  const chosen = closestOf(result.attestations);
  if (!chosen) {
    return resultOf(
      {
        verified: false,
        checks: [{ id: "bundle", status: "fail", reason: `no readable attestations are stored for ${result.image}` }],
        signedBy: [],
        slsaLevel: { level: 0, reason: "no attestation" },
        notes: [],
      },
      { image: result.image },
    );
  }
  const { attestation: _attestation, ...report } = chosen;
  if (report.verified) return resultOf(report, { image: result.image });
  // Each attestation failed for its own reason; the gate names them all, the closest first.
  const ordered = [chosen, ...result.attestations.filter((a) => a !== chosen)];
  const failed = ordered.map((a) => ({ attestation: a.attestation, failures: failuresOf(a) }));
  return {
    verified: false,
    report,
    failures: failed.flatMap((a) => a.failures.map((reason) => `attestation ${a.attestation}: ${reason}`)),
    summary: verifySummary(report, { image: result.image, attestation: chosen.attestation, failed }),
  };
}

/**
 * `image`: the CLI's `verify --image` path, so that the gate and a release
 * manager's `provenant verify --image` decide alike. The image's digest is
 * the subject; a tag is resolved once, here.
 */
async function verifyImage(inputs: VerifyActionInputs, policy: Policy, context: ActionContext): Promise<VerifyActionResult> {
  if (inputs.subjectPaths.length + inputs.subjectDigests.length > 0) {
    throw new ProvenantError("USAGE", "with image, the subject is the image's digest; leave subject-path and subject-digest empty");
  }
  const trusted = await trustedKeyOf(inputs.publicKey, context.cwd);
  const image = parseImageArgument(inputs.image);
  const io = actionIo(context, registryEnvironment(context.env, image, inputs));
  const client = registryClientFromEnvironment({ env: io.env, warn: (message) => io.stderr(`provenant: warning: ${message}\n`), insecureRegistries: [] });
  const stored = await verifyStoredAttestations(client, image, { trustedKeys: [trusted], threshold: 1, policy });
  for (const a of stored.attestations) {
    if (a.problem !== undefined) io.stderr(`provenant: warning: skipping attestation ${a.attestation}: ${a.problem}\n`);
  }
  const readable = stored.attestations.flatMap((a) => (a.report ? [{ ...a.report, attestation: a.attestation, storedAs: a.source }] : []));
  const chosen = stored.chosen === undefined ? undefined : stored.attestations[stored.chosen];
  const attestations = chosen ? readable.filter((r) => r.attestation === chosen.attestation) : readable;
  return imageResultOf({ image: stored.image, verified: stored.verified, attestations });
}

/**
 * The verify action, a deployment gate: the bundle must be signed by the
 * trusted key, name the artifacts as subjects and meet the policy. A failed
 * verification is a result (the entry fails the job with its reasons); bad
 * inputs throw. With `image`, the attestations come from the registry.
 */
export async function runVerifyAction(inputs: VerifyActionInputs, context: ActionContext): Promise<VerifyActionResult> {
  if (inputs.evidence.length > 0) throw new ProvenantError("USAGE", "evidence goes with policy: its evidence rules read those attestations");
  const policy = policyOf(inputs);
  if (inputs.image) return verifyImage(inputs, policy, context);
  if (inputs.subjectPaths.length + inputs.subjectDigests.length === 0) {
    throw new ProvenantError("USAGE", "nothing to verify against; give subject-path or subject-digest (sha256:<hex>), or image");
  }
  const trustedKeys = [await trustedKeyOf(inputs.publicKey, context.cwd)];
  const artifactDigests: DigestSet[] = inputs.subjectDigests.map((text) => {
    const digest = parseDigestReference(text);
    if (!digest) throw new ProvenantError("INVALID_DIGEST", `subject-digest ${text}: expected sha256:<64 lowercase hex characters>`);
    return { [digest.algorithm]: digest.hex };
  });
  if (inputs.subjectPaths.length > 0) {
    const subjects = await resolveSubjects({ patterns: inputs.subjectPaths, checksumFiles: [], digests: [] }, actionIo(context));
    artifactDigests.push(...subjects.map((s) => s.digest));
  }
  const bundlePath = resolve(context.cwd, inputs.bundlePath);
  const documents = readSignedDocuments(await readText(bundlePath, "bundle"), inputs.bundlePath);
  const reports = documents.map((document) => verify(document, { trustedKeys, artifactDigests, policy }));
  // A collection verifies when one of its envelopes does, as `provenant verify` decides.
  return resultOf(reports.find((r) => r.verified) ?? reports[0]!, { bundlePath: inputs.bundlePath });
}
