import { resolve } from "node:path";
import {
  attest,
  type CollectContext,
  FACTS_SOURCE_FIELD,
  keySigner,
  privateKeyFromPem,
  ProvenantError,
  type Subject,
} from "@provenant/core";
import { parseDigestOption, replaceFileAtomically, resolveSubjects } from "@provenant/subjects";
import { requestServiceProvenance } from "@provenant/server-client";
import {
  formatImageReference,
  type ImageReference,
  type PushResult,
  parseImageReference,
  pushAfterAttest,
  registryClientFromEnvironment,
} from "@provenant/oci";
import { adapter } from "../../adapter.js";
import { canRequestIdToken, requestIdToken } from "../../facts/token.js";
import { type ActionContext, actionIo } from "../context.js";
import type { AttestActionInputs } from "../inputs.js";
import { registryEnvironment } from "../registry.js";
import { attestSummary } from "../summary.js";

export interface AttestActionResult {
  bundlePath: string;
  subjects: Subject[];
  keyId: string;
  factsSource: string;
  /** With push-to-registry: the attestation stored beside the image. */
  pushed: PushResult[];
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
 * push-to-registry follows actions/attest-build-provenance: subject-name is
 * the image without tag (`ghcr.io/acme/app`), subject-digest its manifest
 * digest. A tag is refused rather than resolved, since the tag could move
 * between the build and this step and the digest is what was attested.
 */
function imageToPush(inputs: AttestActionInputs): ImageReference | undefined {
  if (!inputs.pushToRegistry) return undefined;
  if (!inputs.subjectName || !inputs.subjectDigest) {
    throw new ProvenantError(
      "USAGE",
      "push-to-registry needs subject-name (the image, e.g. ghcr.io/acme/app) and subject-digest (its manifest digest, sha256:<hex>)",
    );
  }
  const reference = parseImageReference(inputs.subjectName);
  if (reference.tag !== undefined || reference.digest !== undefined) {
    throw new ProvenantError(
      "USAGE",
      `subject-name ${inputs.subjectName} names a ${reference.digest ? "digest" : "tag"}; with push-to-registry expected the image name alone (e.g. ${formatImageReference({ registry: reference.registry, repository: reference.repository })}) and its digest in subject-digest`,
    );
  }
  return { ...reference, digest: inputs.subjectDigest };
}

/**
 * The attest action: hashes the subjects, builds this job's provenance with
 * the GitHub adapter, signs it with the given key and writes the bundle.
 * No subject limit: GitHub's own action stops at 1,024. With
 * push-to-registry the bundle is also pushed beside the image.
 */
export async function runAttestAction(inputs: AttestActionInputs, context: ActionContext): Promise<AttestActionResult> {
  const digests = subjectDigestOf(inputs);
  if (inputs.subjectPaths.length + inputs.subjectChecksums.length + digests.length === 0) {
    throw new ProvenantError("EMPTY_SUBJECTS", "no subjects; give subject-path, subject-checksums, or subject-digest with subject-name");
  }
  if (inputs.serverUrl) return runServiceAttestAction(inputs, context, digests);
  if (!inputs.signingKey.trim()) {
    throw new ProvenantError("KEY_UNREADABLE", "the signing-key input is empty; pass the PEM private key from a secret, or server-url to have a Provenant server sign");
  }
  // The key is read before any hashing, so a wrong password fails in a second, not after minutes.
  const signer = keySigner(privateKeyFromPem(inputs.signingKey, inputs.keyPassword || undefined, "the signing-key input"));
  for (const digest of digests) parseDigestOption(digest);
  const image = imageToPush(inputs);
  const registryEnv = image ? registryEnvironment(context.env, image, inputs) : context.env;

  const io = actionIo(context);
  const subjects = await resolveSubjects(
    {
      patterns: inputs.subjectPaths,
      checksumFiles: inputs.subjectChecksums.map((path) => resolve(context.cwd, path)),
      digests,
      ...(inputs.subjectRoot && { subjectRoot: inputs.subjectRoot }),
    },
    io,
  );
  const collect: CollectContext = {
    env: {
      ...context.env,
      // The API token only from the input (masked by the entry), so that an
      // empty input means no API call. The issuer, like the facts layer's
      // other choices, is never read from a variable an earlier step could
      // set through GITHUB_ENV: only from the oidc-issuer input below.
      GITHUB_TOKEN: inputs.githubToken || undefined,
    },
    cwd: context.cwd,
    fetch: context.fetch,
    warn: context.warn,
    now: context.now,
    options: {
      ...(inputs.tokenAudience ? { tokenAudience: inputs.tokenAudience } : {}),
      ...(inputs.oidcIssuer ? { tokenIssuer: inputs.oidcIssuer } : {}),
    },
    // The job's ID token is masked the moment it is requested, as @actions/core's getIDToken does.
    ...(context.mask && { mask: context.mask }),
  };
  const provenance = await adapter.collect(collect);
  const { bundle, statement } = await attest(subjects, provenance, signer);
  const bundlePath = resolve(context.cwd, inputs.bundlePath);
  await replaceFileAtomically(bundlePath, `${JSON.stringify(bundle, null, 2)}\n`);
  const pushed = image
    ? await pushAfterAttest(
        registryClientFromEnvironment({ env: registryEnv, warn: (message) => context.warn(`provenant: warning: ${message}`), insecureRegistries: [] }),
        [formatImageReference(image)],
        new TextEncoder().encode(JSON.stringify(bundle)),
        statement,
      )
    : [];

  const factsSource = String(provenance.runDetails.metadata?.[FACTS_SOURCE_FIELD] ?? "environment");
  return {
    bundlePath,
    subjects: statement.subject,
    keyId: signer.keyId,
    factsSource,
    pushed,
    summary: attestSummary({
      subjects: statement.subject,
      bundlePath: inputs.bundlePath,
      keyId: signer.keyId,
      factsSource,
      provenance,
      pushed,
    }),
  };
}

/**
 * With server-url: the server's signing service builds the provenance from
 * this job's OIDC token (requested for token-audience, which must be one the
 * server accepts) and signs it with a key no step of this job can read. No
 * signing key is involved and none is fallen back to: an unreachable server
 * or a refusal fails the step.
 */
async function runServiceAttestAction(inputs: AttestActionInputs, context: ActionContext, digests: string[]): Promise<AttestActionResult> {
  if (inputs.signingKey.trim() || inputs.pushToRegistry) {
    throw new ProvenantError("USAGE", "server-url: the server signs with its own key; leave out signing-key and push-to-registry");
  }
  for (const digest of digests) parseDigestOption(digest);
  if (!canRequestIdToken(context.env)) {
    throw new ProvenantError("PLATFORM_FACTS_MISSING", "server-url needs the job's ID token: grant the job `permissions: id-token: write`");
  }
  const token = await requestIdToken(context.env, inputs.tokenAudience || "provenant", context.fetch);
  context.mask?.(token);
  const subjects = await resolveSubjects(
    {
      patterns: inputs.subjectPaths,
      checksumFiles: inputs.subjectChecksums.map((path) => resolve(context.cwd, path)),
      digests,
      ...(inputs.subjectRoot && { subjectRoot: inputs.subjectRoot }),
    },
    actionIo(context),
  );
  const answer = await requestServiceProvenance({ server: inputs.serverUrl, token, subjects, fetch: context.fetch });
  const bundle = answer.bundle as { dsseEnvelope?: { payload?: string }; verificationMaterial?: { publicKey?: { hint?: string } } };
  const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope?.payload ?? "", "base64").toString("utf8")) as { subject: Subject[]; predicate: ProvenanceFieldsOf };
  const bundlePath = resolve(context.cwd, inputs.bundlePath);
  await replaceFileAtomically(bundlePath, `${JSON.stringify(answer.bundle, null, 2)}\n`);
  const keyId = bundle.verificationMaterial?.publicKey?.hint ?? "(server key)";
  const factsSource = String(statement.predicate.runDetails.metadata?.[FACTS_SOURCE_FIELD] ?? "service-oidc-token");
  return {
    bundlePath,
    subjects: statement.subject,
    keyId,
    factsSource,
    pushed: [],
    summary: attestSummary({ subjects: statement.subject, bundlePath: inputs.bundlePath, keyId, factsSource, provenance: statement.predicate, pushed: [] }),
  };
}

type ProvenanceFieldsOf = Parameters<typeof attestSummary>[0]["provenance"];
