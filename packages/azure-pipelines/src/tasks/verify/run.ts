import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { type Environment, keyIdOf, type Policy, ProvenantError, parsePolicy, publicKeyFromPem, type VerificationReport, verify } from "@provenant/core";
import { logText as printable } from "./escape.js";
import { imageName, parseImageArgument, verifyStoredAttestations } from "@provenant/oci";
import { type RegistryConnection, taskRegistryClient } from "../registry.js";
import { subjectsOf } from "../subjects.js";
import type { TaskIo } from "../task-io.js";

/** Everything ProvenantVerify@1 needs, read from its inputs by the entry. */
export interface VerifyTaskInputs {
  /** Files and a bundle, or */
  artifactPatterns: string[];
  bundlePath?: string;
  /** an image whose attestations are read from its registry. */
  image?: string;
  registryConnection?: RegistryConnection;
  /** The job's variables: DOCKER_CONFIG, HOME, PROVENANT_INSECURE_REGISTRIES. */
  environment: Environment;
  workingDirectory: string;
  /** PEM texts of trusted public keys, and/or */
  publicKeys: string[];
  /** paths to them. */
  publicKeyFiles: string[];
  builderId?: string;
  buildType?: string;
  sourceUri?: string;
  sourceBranch?: string;
  sourceTag?: string;
  sourceVersionedTag?: string;
  minimumLevel?: number;
}

/** Splits a text holding several PEM blocks into one PEM per key. */
function pemBlocks(text: string): string[] {
  return text.match(/-----BEGIN [A-Z0-9 ]+-----[\s\S]+?-----END [A-Z0-9 ]+-----/g) ?? [];
}

async function trustedKeys(inputs: VerifyTaskInputs) {
  const sources: { pem: string; source: string }[] = inputs.publicKeys.flatMap((text, i) =>
    pemBlocks(text).map((pem) => ({ pem, source: `publicKey block ${i + 1}` })),
  );
  for (const path of inputs.publicKeyFiles) {
    const text = await readFile(resolve(inputs.workingDirectory, path), "utf8").catch((cause: unknown) => {
      throw new ProvenantError("KEY_UNREADABLE", `cannot read publicKeyFile ${path}: ${(cause as Error).message}`, { cause });
    });
    sources.push(...pemBlocks(text).map((pem) => ({ pem, source: `publicKeyFile ${path}` })));
  }
  if (sources.length === 0) {
    throw new ProvenantError("USAGE", "no public key; set publicKey to PEM text or publicKeyFile to a PEM file");
  }
  return sources.map(({ pem, source }) => {
    const publicKey = publicKeyFromPem(pem, source);
    return { publicKey, keyId: keyIdOf(publicKey) };
  });
}

export interface VerifyTaskResult {
  report: VerificationReport;
  /** With `image`: the attestation manifest whose bundle the report is about. */
  attestation?: string;
  /** With `image`: the image checked, by the digest its tag resolved to (`REGISTRY/REPO@sha256:…`). */
  imageDigest?: string;
}

/**
 * Verifies the bundle against the artifacts, or the attestations stored
 * beside the image against its digest, with the trusted keys and the policy.
 * A failed check is a report, not a throw.
 */
export async function runVerifyTask(inputs: VerifyTaskInputs, io: TaskIo): Promise<VerifyTaskResult> {
  const fromFiles = inputs.artifactPatterns.length > 0 || inputs.bundlePath !== undefined;
  if (inputs.image ? fromFiles : !(inputs.artifactPatterns.length > 0 && inputs.bundlePath)) {
    throw new ProvenantError(
      "USAGE",
      inputs.image
        ? "image is set together with artifacts or bundlePath; expected either an image (its attestations come from the registry) or artifacts and a bundle"
        : "expected artifacts and bundlePath, or an image whose attestations are stored in its registry",
    );
  }
  const policy = parsePolicy(
    Object.fromEntries(
      Object.entries({
        builderId: inputs.builderId,
        buildType: inputs.buildType,
        sourceUri: inputs.sourceUri,
        sourceBranch: inputs.sourceBranch,
        sourceTag: inputs.sourceTag,
        sourceVersionedTag: inputs.sourceVersionedTag,
        minimumLevel: inputs.minimumLevel,
      }).filter(([, value]) => value !== undefined),
    ),
  );
  const keys = await trustedKeys(inputs);
  const result = inputs.image ? await verifyImage(inputs.image, inputs, keys, policy, io) : { report: await verifyFiles(inputs, inputs.bundlePath!, keys, policy, io.warn) };
  // Reasons quote the document: escaped, so no value can start a `##vso[` line in the log.
  for (const check of result.report.checks) io.log(`${check.status === "pass" ? "PASS" : "FAIL"}  ${check.id}: ${printable(check.reason)}`);
  for (const note of result.report.notes ?? []) io.log(`NOTE  ${printable(note)}`);
  io.log(result.report.verified ? `VERIFIED (SLSA Build L${result.report.slsaLevel.level})` : "NOT VERIFIED");
  return result;
}

type TrustedKeys = Awaited<ReturnType<typeof trustedKeys>>;

async function verifyFiles(
  inputs: VerifyTaskInputs,
  bundleInput: string,
  keys: TrustedKeys,
  policy: Policy,
  warn: (message: string) => void,
): Promise<VerificationReport> {
  const subjects = await subjectsOf(inputs.artifactPatterns, { workingDirectory: inputs.workingDirectory, what: "artifact", warn, refuseSkipped: true });
  const artifactDigests = subjects.map((subject) => subject.digest);
  const bundlePath = resolve(inputs.workingDirectory, bundleInput);
  const text = await readFile(bundlePath, "utf8").catch((cause: unknown) => {
    throw new ProvenantError("IO_ERROR", `cannot read bundle ${bundlePath}: ${(cause as Error).message}`, { cause });
  });
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (cause) {
    throw new ProvenantError("MALFORMED_JSON", `${bundlePath} is not JSON; expected a Sigstore bundle`, { cause });
  }
  return verify(document, { trustedKeys: keys, artifactDigests, policy });
}

/**
 * What `provenant verify --image` does: every attestation stored beside the
 * image (referrers API, the sha256-<hex> tag index, cosign's .att tag) is
 * checked against the image digest; the image verifies when one passes.
 */
async function verifyImage(image: string, inputs: VerifyTaskInputs, keys: TrustedKeys, policy: Policy, io: TaskIo): Promise<VerifyTaskResult> {
  const client = taskRegistryClient(inputs.environment, inputs.registryConnection, io.warn);
  const named = parseImageArgument(image);
  const stored = await verifyStoredAttestations(client, named, { trustedKeys: keys, policy });
  const results: VerifyTaskResult[] = [];
  for (const a of stored.attestations) {
    if (a.report) results.push({ attestation: a.attestation, report: a.report });
    else io.warn(`skipping attestation ${a.attestation} of ${stored.image}: ${a.problem}`);
  }
  if (results.length === 0) {
    throw new ProvenantError("NO_SUBJECTS_MATCHED", `no readable attestation is stored beside ${stored.image}; expected one pushed by ProvenantAttest@1 with pushToRegistry, or provenant attest --push`);
  }
  io.log(`${results.length} attestation(s) stored beside ${printable(stored.image)}`);
  const chosen = results.find((r) => r.report.verified) ?? results[0]!;
  io.log(`attestation ${printable(chosen.attestation ?? "")}:`);
  return { ...chosen, imageDigest: `${imageName(named)}@${stored.digest}` };
}
