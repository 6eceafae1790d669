import { resolve } from "node:path";
import { inspect, type Policy, ProvenantError, parsePolicy, type Statement, type VerificationReport } from "@provenant/core";
import {
  formatImageReference,
  type ImageReference,
  parseImageArgument,
  pullAttestations,
  pushBundle,
  pushAfterAttest as pushBesideImages,
  type PushResult,
  imageDigestSet,
  resolveImage,
  signerKeyIds,
} from "@provenant/oci";
import { type Io, parseJson, readTextFile } from "../io.js";
import { printable, terminalJson } from "../output/escape.js";
import { renderReport } from "../output/report.js";
import type { RegistryOptions } from "@provenant/subjects";
import { createRegistryClient } from "@provenant/subjects/images";
import { evaluateFlags, flagKeysWithTrustedRoot } from "./verify.js";


const LOCAL_IMAGE_PREFIXES = ["oci-layout:", "docker-archive:"] as const;

/**
 * The image argument of `push`, `attestations list` and `verify --image`: an
 * image in a registry. `oci-layout:` and `docker-archive:` name local files
 * (they are subjects for `attest`); the reference grammar would otherwise read
 * `oci-layout:x` as the Docker Hub image `library/oci-layout` tagged `x`.
 */
export function registryImageArgument(argument: string, command: string): ImageReference {
  const local = LOCAL_IMAGE_PREFIXES.find((prefix) => argument.startsWith(prefix));
  if (local) {
    throw new ProvenantError(
      "USAGE",
      `${command} ${argument}: ${local} names a local image, not one in a registry; expected oci://REGISTRY/REPO[:TAG|@DIGEST] (push the image first, e.g. with skopeo copy or docker push)`,
    );
  }
  return parseImageArgument(argument);
}

export type { PushResult } from "@provenant/oci";
export { imageDigestSet } from "@provenant/oci";

/** `attest --push`: push the new bundle beside every `oci://` subject. */
export async function pushAfterAttest(
  imageArguments: readonly string[],
  bundle: unknown,
  statement: Statement,
  io: Io,
  options: RegistryOptions,
): Promise<PushResult[]> {
  const bytes = new TextEncoder().encode(JSON.stringify(bundle));
  return pushBesideImages(createRegistryClient(io, options), imageArguments, bytes, statement, {
    ...(options.imagePlatform && { imagePlatform: options.imagePlatform }),
  });
}

export interface PushInputs extends RegistryOptions {
  image: string;
  bundle: string;
  json: boolean;
}

export async function runPush(inputs: PushInputs, io: Io): Promise<number> {
  const reference = registryImageArgument(inputs.image, "push");
  const text = await readTextFile(resolve(io.cwd, inputs.bundle), "bundle");
  const document = parseJson(text, inputs.bundle);
  const { kind, statement } = inspect(document);
  if (kind !== "bundle") {
    throw new ProvenantError("MALFORMED_BUNDLE", `${inputs.bundle} is a bare DSSE envelope; push expects a Sigstore bundle (provenant attest writes one)`);
  }
  // Pushed in compact form, as `attest --push` does, so that the same bundle
  // has the same digest however the file was formatted and is found, not pushed twice.
  const bytes = new TextEncoder().encode(JSON.stringify(document));
  const result = await pushBundle(createRegistryClient(io, inputs), reference, bytes, statement, {
    ...(inputs.imagePlatform && { imagePlatform: inputs.imagePlatform }),
  });
  if (inputs.json) io.stdout(`${terminalJson(result)}\n`);
  else if (result.alreadyStored) io.stdout(`already stored: ${printable(result.attestation)} beside ${printable(result.image)} (${result.via}); nothing pushed\n`);
  else io.stdout(`pushed ${result.attestation} beside ${result.image} (${result.via})\n`);
  return 0;
}

export interface ListInputs extends RegistryOptions {
  image: string;
  json: boolean;
}

export async function runAttestationsList(inputs: ListInputs, io: Io): Promise<number> {
  const named = registryImageArgument(inputs.image, "attestations list");
  const client = createRegistryClient(io, inputs);
  const { reference, descriptor } = await resolveImage(client, named, {
    ...(inputs.imagePlatform && { platform: inputs.imagePlatform }),
  });
  // Pulled, not only listed: the signer's key id is inside the bundle.
  const all = (await pullAttestations(client, reference, descriptor.digest)).map(({ document, ...stored }) => ({
    ...stored,
    keyIds: document === undefined ? [] : signerKeyIds(document),
  }));
  // A referrer whose manifest is missing or about another image is not this image's attestation.
  const listed = all.filter((a) => a.problem === undefined);
  const refused = all.filter((a) => a.problem !== undefined);
  for (const a of refused) io.stderr(`provenant: warning: not listing attestation ${a.layerDigest ?? a.manifestDigest}: ${printable(a.problem ?? "")}\n`);
  if (inputs.json) {
    io.stdout(`${terminalJson({ image: formatImageReference(reference), attestations: listed, ...(refused.length > 0 && { refused }) })}\n`);
  } else {
    io.stderr(`${listed.length} attestation(s) for ${formatImageReference(reference)}\n`);
    for (const a of listed) {
      const columns = [a.layerDigest ?? a.manifestDigest, a.source, a.predicateType ?? "-", `key ${a.keyIds.join(",") || "-"}`, ...(a.created ? [a.created] : [])];
      io.stdout(`${printable(columns.join("  "))}\n`);
    }
  }
  return 0;
}

export interface VerifyImageInputs extends RegistryOptions {
  image: string;
  keys: readonly string[];
  /** `--service-key` files: the signing service's public keys. */
  serviceKeys?: readonly string[];
  /** `--trusted-root FILE`: the keys its `provenant_serviceKeys` marks are service keys. */
  trustedRoot?: string;
  threshold: number;
  policy: Policy;
  json: boolean;
  /** Print the full report of every stored attestation, not only of the one that verified. */
  verbose?: boolean;
}

/**
 * `verify --image`: fetch the attestations stored beside the image, keep
 * those whose subject is the image digest and whose signature a trusted key
 * made, and apply the policy. Verified when one attestation passes it all.
 */
export async function runVerifyImage(inputs: VerifyImageInputs, io: Io): Promise<number> {
  const named = registryImageArgument(inputs.image, "verify --image");
  const policy = parsePolicy(inputs.policy);
  const keys = await flagKeysWithTrustedRoot(inputs, io.cwd);
  const client = createRegistryClient(io, inputs);
  const { reference, descriptor } = await resolveImage(client, named, { ...(inputs.imagePlatform && { platform: inputs.imagePlatform }) });
  const image = formatImageReference(reference);
  const pulled = await pullAttestations(client, reference, descriptor.digest);
  const readableDocuments = pulled.filter((p) => p.problem === undefined && p.document !== undefined);
  // The flags as an in-memory policy (one evaluation path with policy files): one report per readable attestation.
  const { reports } = await evaluateFlags(policy, keys, inputs.threshold, [{ digest: imageDigestSet(descriptor.digest, image) }], readableDocuments.map((p) => p.document));
  let next = 0;
  const attestations = pulled.map((p) => {
    const attestation = p.layerDigest ?? p.manifestDigest;
    if (p.problem !== undefined || p.document === undefined) return { attestation, source: p.source, keyIds: [], problem: p.problem ?? "no document" };
    return { attestation, source: p.source, keyIds: signerKeyIds(p.document), report: reports[next++]! };
  });
  const chosenIndex = attestations.findIndex((a) => a.report?.verified);
  const result = { image, verified: chosenIndex >= 0, chosen: chosenIndex >= 0 ? chosenIndex : undefined, attestations };
  const readable = result.attestations.filter((a) => a.report !== undefined);
  for (const a of result.attestations) {
    if (a.problem !== undefined) io.stderr(`provenant: warning: skipping attestation ${a.attestation}: ${printable(a.problem)}\n`);
  }
  const chosen = result.chosen === undefined ? undefined : result.attestations[result.chosen];
  const detailed = inputs.verbose ? readable : chosen ? [chosen] : readable;
  if (inputs.json) {
    const strip = ({ statement: _s, ...rest }: VerificationReport) => rest;
    io.stdout(
      `${terminalJson({
        image: result.image,
        verified: result.verified,
        attestations: detailed.map((a) => ({ attestation: a.attestation, storedAs: a.source, keyIds: a.keyIds, ...strip(a.report!) })),
      })}\n`,
    );
  } else if (readable.length === 0) {
    io.stdout(`no readable attestations are stored for ${result.image}\nFAILED\n`);
  } else {
    io.stderr(`${readable.length} attestation(s) for ${result.image}${chosen ? "" : "; none verified"}\n`);
    // One line per stored attestation, then the full report of the one that verified (or of all with --verbose).
    for (const a of readable) {
      const failed = a.report!.checks.find((c) => c.status === "fail");
      const outcome = a.report!.verified ? "VERIFIED" : `FAILED${failed ? ` (${failed.id}: ${failed.reason})` : ""}`;
      io.stdout(`${printable(`${a.attestation} ${a.source} key ${a.keyIds.join(",") || "-"}: ${outcome}`)}\n`);
    }
    for (const a of detailed) {
      io.stdout(`\nattestation ${a.attestation} (${a.source}):\n`);
      io.stdout(renderReport(a.report!, io));
    }
  }
  return result.verified ? 0 : 1;
}
