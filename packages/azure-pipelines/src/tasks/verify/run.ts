import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { keyIdOf, ProvenantError, parsePolicy, publicKeyFromPem, type VerificationReport, verify } from "@provenant/core";
import { matchFiles } from "../match.js";
import { subjectsOf } from "../subjects.js";
import type { TaskIo } from "../task-io.js";

/** Everything ProvenantVerify@1 needs, read from its inputs by the entry. */
export interface VerifyTaskInputs {
  artifactPatterns: string[];
  workingDirectory: string;
  bundlePath: string;
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

/** Verifies the bundle against the artifacts, the trusted keys and the policy. A failed check is a report, not a throw. */
export async function runVerifyTask(inputs: VerifyTaskInputs, io: TaskIo): Promise<VerificationReport> {
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
  const files = await matchFiles(inputs.artifactPatterns, inputs.workingDirectory, "artifact");
  const artifactDigests = (await subjectsOf(files, inputs.workingDirectory)).map((subject) => subject.digest);
  const bundlePath = resolve(inputs.workingDirectory, inputs.bundlePath);
  const text = await readFile(bundlePath, "utf8").catch((cause: unknown) => {
    throw new ProvenantError("IO_ERROR", `cannot read bundle ${bundlePath}: ${(cause as Error).message}`, { cause });
  });
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (cause) {
    throw new ProvenantError("MALFORMED_JSON", `${bundlePath} is not JSON; expected a Sigstore bundle`, { cause });
  }
  const report = verify(document, { trustedKeys: keys, artifactDigests, policy });
  for (const check of report.checks) io.log(`${check.status === "pass" ? "PASS" : "FAIL"}  ${check.id}: ${check.reason}`);
  io.log(report.verified ? `VERIFIED (SLSA Build L${report.slsaLevel.level})` : "NOT VERIFIED");
  return report;
}
