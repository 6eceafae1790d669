import { resolve } from "node:path";
import {
  attest,
  FACTS_SOURCE_FIELD,
  keySigner,
  privateKeyFromPem,
  ProvenantError,
  type Subject,
} from "@provenant/core";
import { type Io, parseDigestOption, resolveSubjects, writeFileAtomic } from "@provenant/cli";
import { adapter } from "../../adapter.js";
import type { ActionContext } from "../context.js";
import type { AttestActionInputs } from "../inputs.js";
import { attestSummary } from "../summary.js";

export interface AttestActionResult {
  bundlePath: string;
  subjects: Subject[];
  keyId: string;
  factsSource: string;
  /** Markdown for the job summary. */
  summary: string;
}

function subjectDigestOf(inputs: AttestActionInputs): string[] {
  if (!inputs.subjectDigest && !inputs.subjectName) return [];
  if (!inputs.subjectDigest || !inputs.subjectName) {
    throw new ProvenantError("USAGE", "subject-digest and subject-name go together; give both (subject-digest: sha256:<hex>)");
  }
  return [`${inputs.subjectName}=${inputs.subjectDigest}`];
}

/**
 * The attest action: hashes the subjects, builds this job's provenance with
 * the GitHub adapter, signs it with the given key and writes the bundle.
 * No subject limit: GitHub's own action stops at 1,024.
 */
export async function runAttestAction(inputs: AttestActionInputs, context: ActionContext): Promise<AttestActionResult> {
  const digests = subjectDigestOf(inputs);
  if (inputs.subjectPaths.length + inputs.subjectChecksums.length + digests.length === 0) {
    throw new ProvenantError("EMPTY_SUBJECTS", "no subjects; give subject-path, subject-checksums, or subject-digest with subject-name");
  }
  if (!inputs.signingKey.trim()) {
    throw new ProvenantError("KEY_UNREADABLE", "the signing-key input is empty; pass the PEM private key from a secret");
  }
  // The key is read before any hashing, so a wrong password fails in a second, not after minutes.
  const signer = keySigner(privateKeyFromPem(inputs.signingKey, inputs.keyPassword || undefined, "the signing-key input"));
  for (const digest of digests) parseDigestOption(digest);

  const io: Io = { stdout: context.info, stderr: (text) => context.warn(text.trimEnd()), env: context.env, cwd: context.cwd, isTTY: false };
  const subjects = await resolveSubjects(
    {
      patterns: inputs.subjectPaths,
      checksumFiles: inputs.subjectChecksums.map((path) => resolve(context.cwd, path)),
      digests,
      progress: false,
    },
    io,
  );
  const provenance = await adapter.collect({
    env: { ...context.env, ...(inputs.githubToken ? { GITHUB_TOKEN: inputs.githubToken } : {}) },
    cwd: context.cwd,
    fetch: context.fetch,
    warn: context.warn,
    now: context.now,
    options: {
      ...(inputs.tokenAudience ? { tokenAudience: inputs.tokenAudience } : {}),
      ...(inputs.oidcIssuer ? { tokenIssuer: inputs.oidcIssuer } : {}),
    },
  });
  const { bundle, statement } = await attest(subjects, provenance, signer);
  const bundlePath = resolve(context.cwd, inputs.bundlePath);
  await writeFileAtomic(bundlePath, `${JSON.stringify(bundle, null, 2)}\n`);

  const factsSource = String(provenance.runDetails.metadata?.[FACTS_SOURCE_FIELD] ?? "environment");
  return {
    bundlePath,
    subjects: statement.subject,
    keyId: signer.keyId,
    factsSource,
    summary: attestSummary({
      subjects: statement.subject,
      bundlePath: inputs.bundlePath,
      keyId: signer.keyId,
      factsSource,
      provenance,
    }),
  };
}
