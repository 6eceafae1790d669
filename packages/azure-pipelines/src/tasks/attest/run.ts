import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { attest, type Environment, keySigner, privateKeyFromPem, ProvenantError, type Subject } from "@provenant/core";
import { adapter } from "../../adapter.js";
import { matchFiles } from "../match.js";
import { subjectsOf } from "../subjects.js";
import type { TaskIo } from "../task-io.js";

/** The CLI's variable for the PEM text; a task step can map a secret to it with `env:`. */
export const SIGNING_KEY_VARIABLE = "PROVENANT_SIGNING_KEY";

/** Everything ProvenantAttest@1 needs, read from its inputs and the job by the entry. */
export interface AttestTaskInputs {
  subjectPatterns: string[];
  workingDirectory: string;
  /** PEM text of the private key (a secret variable), or */
  signingKey?: string;
  /** a path to it (a secure file). */
  signingKeyFile?: string;
  keyPassword?: string;
  bundlePath: string;
  tokenAudience?: string;
  tokenIssuer?: string;
  /** The job's variables, with SYSTEM_ACCESSTOKEN and SYSTEM_OIDCREQUESTURI filled in. */
  environment: Environment;
}

export interface AttestTaskResult {
  bundlePath: string;
  keyId: string;
  subjects: Subject[];
  factsSource: string;
}

async function signingKeyPem(inputs: AttestTaskInputs): Promise<{ pem: string; source: string }> {
  if (inputs.signingKey && inputs.signingKeyFile) {
    throw new ProvenantError("USAGE", "both signingKey and signingKeyFile are set; expected one of them");
  }
  if (inputs.signingKey) return { pem: inputs.signingKey, source: "the signingKey input" };
  const fromEnvironment = inputs.environment[SIGNING_KEY_VARIABLE];
  if (inputs.signingKeyFile) {
    const pem = await readFile(inputs.signingKeyFile, "utf8").catch((cause: unknown) => {
      throw new ProvenantError("KEY_UNREADABLE", `cannot read signingKeyFile ${inputs.signingKeyFile}: ${(cause as Error).message}`, { cause });
    });
    return { pem, source: `signingKeyFile ${inputs.signingKeyFile}` };
  }
  if (fromEnvironment?.trim()) return { pem: fromEnvironment, source: SIGNING_KEY_VARIABLE };
  throw new ProvenantError(
    "KEY_UNREADABLE",
    `no signing key; set signingKeyFile to a secure file's path, signingKey to a secret variable holding the PEM text, or map ${SIGNING_KEY_VARIABLE} with env:`,
  );
}

/** Hashes the subjects, collects the job's provenance, signs it and writes the Sigstore bundle. */
export async function runAttestTask(inputs: AttestTaskInputs, io: TaskIo): Promise<AttestTaskResult> {
  // The key first: a bad key should fail before hashing.
  const key = await signingKeyPem(inputs);
  const signer = keySigner(privateKeyFromPem(key.pem, inputs.keyPassword, key.source));
  const files = await matchFiles(inputs.subjectPatterns, inputs.workingDirectory, "subject");
  const subjects = await subjectsOf(files, inputs.workingDirectory);
  const provenance = await adapter.collect({
    env: inputs.environment,
    cwd: inputs.workingDirectory,
    fetch: io.fetch,
    warn: io.warn,
    now: io.now,
    options: { tokenAudience: inputs.tokenAudience, tokenIssuer: inputs.tokenIssuer },
  });
  const { bundle } = await attest(subjects, provenance, signer);
  const bundlePath = resolve(inputs.workingDirectory, inputs.bundlePath);
  await mkdir(dirname(bundlePath), { recursive: true });
  // Through a temporary file, so a failed write never leaves half a bundle.
  const temporary = `${bundlePath}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(bundle, null, 2)}\n`);
  await rename(temporary, bundlePath);
  const factsSource = String(provenance.runDetails.metadata?.provenant_factsSource ?? "environment");
  io.log(`attested ${subjects.length} subject(s), facts from ${factsSource}, signed by key ${signer.keyId}`);
  for (const subject of subjects) io.log(`  ${subject.name}  sha256:${subject.digest.sha256}`);
  return { bundlePath, keyId: signer.keyId, subjects, factsSource };
}
