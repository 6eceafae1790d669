import { resolve } from "node:path";
import {
  keyIdOf,
  parseDigestReference,
  ProvenantError,
  type Policy,
  parsePolicy,
  readSignedDocuments,
  type VerificationReport,
  verify,
} from "@provenant/core";
import { type Io, readTextFile } from "../io.js";
import { loadPublicKeys } from "../keys/load.js";
import { subjectProgress } from "../output/progress.js";
import { renderReport } from "../output/report.js";
import { resolveSubjects } from "@provenant/subjects";

export interface VerifyInputs {
  artifacts: readonly string[];
  digests: readonly string[];
  bundle: string;
  keys: readonly string[];
  threshold: number;
  policy: Policy;
  json: boolean;
}

export async function runVerify(inputs: VerifyInputs, io: Io): Promise<number> {
  if (!inputs.bundle) throw new ProvenantError("USAGE", "no --bundle FILE; give one, or --image IMAGE to verify what its registry stores");
  if (inputs.artifacts.length === 0 && inputs.digests.length === 0) {
    throw new ProvenantError("USAGE", "nothing to verify against; give ARTIFACT... or --digest sha256:HEX");
  }
  const policy = parsePolicy(inputs.policy);
  const trustedKeys = (await loadPublicKeys(inputs.keys, io.cwd)).map((publicKey) => ({ publicKey, keyId: keyIdOf(publicKey) }));
  const artifactDigests = inputs.digests.map((text) => {
    const digest = parseDigestReference(text);
    if (!digest) throw new ProvenantError("INVALID_DIGEST", `--digest ${text}: expected sha256:<64 lowercase hex characters>`);
    return { [digest.algorithm]: digest.hex };
  });
  if (inputs.artifacts.length > 0) {
    const subjects = await resolveSubjects(
      { patterns: inputs.artifacts, checksumFiles: [], digests: [], progress: subjectProgress(io, !inputs.json), refuseSkipped: true },
      io,
    );
    artifactDigests.push(...subjects.map((s) => s.digest));
  }
  const documents = readSignedDocuments(await readTextFile(resolve(io.cwd, inputs.bundle), "bundle"), inputs.bundle);
  const reports: VerificationReport[] = documents.map((document) =>
    verify(document, { trustedKeys, threshold: inputs.threshold, artifactDigests, policy }),
  );
  // A collection verifies when one of its envelopes does (slsa-verifier's rule for .intoto.jsonl).
  const chosen = reports.find((r) => r.verified);
  const shown = chosen ? [chosen] : reports;
  if (inputs.json) {
    const strip = ({ statement: _s, ...rest }: VerificationReport) => rest;
    io.stdout(`${JSON.stringify(shown.length === 1 ? strip(shown[0]!) : shown.map(strip), null, 2)}\n`);
  } else {
    shown.forEach((report, i) => {
      if (shown.length > 1) io.stdout(`envelope ${i + 1} of ${shown.length}:\n`);
      io.stdout(renderReport(report, io));
    });
  }
  if (chosen) return 0;
  // Not a bundle or envelope at all (its first check, "bundle", failed): that
  // is unreadable input, exit 2, as for inspect; a document that could be read
  // and did not verify is a failed verification, exit 1.
  const unreadable = reports.every((report) => report.checks.find((check) => check.id === "bundle")?.status === "fail");
  return unreadable ? 2 : 1;
}
