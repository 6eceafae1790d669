import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { attest, type Bundle, type Environment, keySigner, parseBundle, privateKeyFromPem, ProvenantError, type Signer, type Subject } from "@provenant/core";
import { formatImageReference, imageName, parseImageArgument, pushAttestation, type RegistryClient, type ResolvedImage, resolveImage } from "@provenant/oci";
import { requestServiceProvenance, vaultBaseUrl } from "@provenant/server-client";
import { adapter } from "../../adapter.js";
import { checkServiceAudience, requestServiceToken } from "../../facts/service-token.js";
import { type RegistryConnection, taskRegistryClient } from "../registry.js";
import { subjectsOf } from "../subjects.js";
import type { TaskIo } from "../task-io.js";

/** The CLI's variable for the PEM text; a task step can map a secret to it with `env:`. */
export const SIGNING_KEY_VARIABLE = "PROVENANT_SIGNING_KEY";

/** Everything ProvenantAttest@1 needs, read from its inputs and the job by the entry. */
export interface AttestTaskInputs {
  /** File globs; a line starting with `oci://` is an image, as in `provenant attest`. */
  subjectPatterns: string[];
  /** Image references, `oci://` optional: subjects named after the image with its manifest digest. */
  images: string[];
  /** Store the bundle beside every image in its registry (an OCI 1.1 referrer). */
  pushToRegistry: boolean;
  /** From a Docker Registry service connection; otherwise the docker config answers. */
  registryConnection?: RegistryConnection;
  workingDirectory: string;
  /** Directory subject names are relative to (default: the repository root, else the working directory). */
  subjectRoot?: string | undefined;
  /** PEM text of the private key (a secret variable), or */
  signingKey?: string;
  /** a path to it (a secure file). */
  signingKeyFile?: string;
  keyPassword?: string;
  bundlePath: string;
  tokenAudience?: string;
  /**
   * A Provenant signing service: it builds and signs the provenance from the
   * job's OIDC token, so no key is read and nothing falls back to one.
   */
  serverUrl?: string;
  /** The job's variables, with SYSTEM_ACCESSTOKEN and SYSTEM_OIDCREQUESTURI filled in. */
  environment: Environment;
}

export interface PushedAttestation {
  /** The image, by digest. */
  image: string;
  /** The attestation manifest, `REGISTRY/REPO@sha256:…`: pullable, and what `provenant attestations list` shows. */
  attestation: string;
  via: "referrers-api" | "referrers-tag";
}

export interface AttestTaskResult {
  bundlePath: string;
  keyId: string;
  subjects: Subject[];
  /** Every image attested, by digest (`REGISTRY/REPO@sha256:…`): what a later step should deploy, not the tag. */
  imageDigests: string[];
  factsSource: string;
  pushed: PushedAttestation[];
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

/**
 * Resolves each image line to its manifest digest, keeping one entry per
 * `REGISTRY/REPO@digest`: the same image named in `images` and as an
 * `oci://` subject, or by tag and by digest, is one subject and one push.
 */
async function resolveImages(client: RegistryClient, lines: readonly string[]): Promise<ResolvedImage[]> {
  const resolved = new Map<string, ResolvedImage>();
  for (const line of lines) {
    const image = await resolveImage(client, parseImageArgument(line));
    const key = `${imageName(image.reference)}@${image.descriptor.digest}`;
    if (!resolved.has(key)) resolved.set(key, image);
  }
  return [...resolved.values()];
}

/**
 * Hashes the files and resolves the images to their manifest digests,
 * collects the job's provenance, signs it, writes the Sigstore bundle and,
 * with `pushToRegistry`, stores it beside each image.
 */
export async function runAttestTask(inputs: AttestTaskInputs, io: TaskIo): Promise<AttestTaskResult> {
  const patterns = inputs.subjectPatterns.filter((line) => !line.startsWith("oci://"));
  const imageLines = [...inputs.images, ...inputs.subjectPatterns.filter((line) => line.startsWith("oci://"))];
  if (patterns.length === 0 && imageLines.length === 0) {
    throw new ProvenantError("EMPTY_SUBJECTS", "no subjects and no images; expected file globs in subjects or image references in images, one per line");
  }
  if (inputs.pushToRegistry && imageLines.length === 0) {
    throw new ProvenantError("USAGE", "pushToRegistry is set but no image is given; expected image references in images (pushing stores the bundle beside an image)");
  }
  // The key first: a bad key should fail before hashing.
  const signer = inputs.serverUrl ? undefined : await localSigner(inputs);
  if (inputs.serverUrl) {
    // A bad URL or audience fails here, before any hashing or token request.
    const server = vaultBaseUrl(inputs.serverUrl);
    checkServiceAudience(inputs.tokenAudience);
    if (server.protocol === "http:" && !["127.0.0.1", "localhost", "[::1]"].includes(server.hostname)) {
      io.warn(`serverUrl ${server.origin} is plain http: the job's OIDC token and the bundle travel unencrypted; use https`);
    }
  }
  const client = imageLines.length > 0 ? taskRegistryClient(inputs.environment, inputs.registryConnection, io.warn) : undefined;
  const images = client ? await resolveImages(client, imageLines) : [];
  const subjects = [
    ...(patterns.length > 0 ? await subjectsOf(patterns, {
          workingDirectory: inputs.workingDirectory,
          what: "subject",
          warn: io.warn,
          ...(inputs.subjectRoot && { subjectRoot: inputs.subjectRoot }),
        }) : []),
    ...images.map(({ reference, descriptor }) => ({ name: imageName(reference), digest: { sha256: descriptor.digest.slice("sha256:".length) } })),
  ];
  const signed = signer ? await signLocally(inputs, subjects, signer, io) : await signByService(inputs.serverUrl!, inputs.environment, subjects, io);
  const { bundle, statement, factsSource, keyId } = signed;
  const bundlePath = resolve(inputs.workingDirectory, inputs.bundlePath);
  await mkdir(dirname(bundlePath), { recursive: true });
  const bundleText = `${JSON.stringify(bundle, null, 2)}\n`;
  // Through a temporary file, so a failed write never leaves half a bundle.
  const temporary = `${bundlePath}.${process.pid}.tmp`;
  await writeFile(temporary, bundleText);
  await rename(temporary, bundlePath);
  io.log(`attested ${subjects.length} subject(s), facts from ${factsSource}, signed by key ${keyId}${inputs.serverUrl ? ` of the signing service at ${new URL(inputs.serverUrl).origin}` : ""}`);
  for (const subject of subjects) io.log(`  ${subject.name}  sha256:${subject.digest.sha256}`);
  const pushed: PushedAttestation[] = [];
  if (inputs.pushToRegistry && client) {
    // The bytes of the bundle file, so the stored layer and the published file have one digest.
    const bytes = new TextEncoder().encode(bundleText);
    for (const { reference, descriptor } of images) {
      const result = await pushAttestation(client, reference, descriptor, bytes, { predicateType: statement.predicateType });
      const entry = {
        image: formatImageReference(reference),
        attestation: `${imageName(reference)}@${result.digest}`,
        via: result.via,
      };
      io.log(`pushed attestation ${entry.attestation} beside ${entry.image} (${entry.via})`);
      pushed.push(entry);
    }
  }
  const imageDigests = images.map(({ reference, descriptor }) => `${imageName(reference)}@${descriptor.digest}`);
  return { bundlePath, keyId, subjects, imageDigests, factsSource, pushed };
}

interface Signed {
  bundle: Bundle;
  statement: { predicateType: string };
  factsSource: string;
  keyId: string;
}

async function localSigner(inputs: AttestTaskInputs): Promise<Signer> {
  const key = await signingKeyPem(inputs);
  return keySigner(privateKeyFromPem(key.pem, inputs.keyPassword, key.source));
}

async function signLocally(inputs: AttestTaskInputs, subjects: Subject[], signer: Signer, io: TaskIo): Promise<Signed> {
  const provenance = await adapter.collect({
    env: inputs.environment,
    cwd: inputs.workingDirectory,
    fetch: io.fetch,
    warn: io.warn,
    now: io.now,
    options: { tokenAudience: inputs.tokenAudience },
    // The pipeline's ID token goes to the agent's secret masking, as the access token does.
    ...(io.mask && { mask: io.mask }),
  });
  const { bundle, statement } = await attest(subjects, provenance, signer);
  return { bundle, statement, factsSource: String(provenance.runDetails.metadata?.provenant_factsSource ?? "environment"), keyId: signer.keyId };
}

/**
 * The job's OIDC token (masked as soon as it exists) and the subjects go to
 * the signing service; what comes back is checked to be a bundle of
 * provenance for exactly these subjects before it is written.
 */
async function signByService(serverUrl: string, environment: Environment, subjects: Subject[], io: TaskIo): Promise<Signed> {
  const token = await requestServiceToken(environment, io.fetch);
  io.mask?.(token);
  const answer = await requestServiceProvenance({ server: serverUrl, token, subjects, fetch: io.fetch });
  const bundle = parseBundle(answer.bundle);
  const envelope = bundle.dsseEnvelope;
  let statement: { predicateType?: unknown; subject?: unknown; predicate?: { runDetails?: { metadata?: Record<string, unknown> } } };
  try {
    statement = JSON.parse(Buffer.from(envelope?.payload ?? "", "base64").toString("utf8"));
  } catch (cause) {
    throw new ProvenantError("MALFORMED_BUNDLE", `the signing service at ${new URL(serverUrl).origin} answered a bundle without a JSON statement`, { cause });
  }
  const named = new Set((Array.isArray(statement.subject) ? statement.subject : []).map((s: { digest?: { sha256?: string } }) => s?.digest?.sha256));
  const missing = subjects.filter((s) => !named.has(s.digest.sha256));
  if (typeof statement.predicateType !== "string" || missing.length > 0) {
    throw new ProvenantError("SUBJECT_MISMATCH", `the signing service's bundle does not name ${missing.map((s) => s.name).join(", ") || "a predicate type"}; expected provenance for the subjects sent`);
  }
  const keyId = bundle.verificationMaterial?.publicKey?.hint ?? envelope?.signatures[0]?.keyid ?? "";
  const factsSource = String(statement.predicate?.runDetails?.metadata?.provenant_factsSource ?? "");
  return { bundle, statement: { predicateType: statement.predicateType }, factsSource, keyId };
}
