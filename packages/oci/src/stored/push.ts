import { ProvenantError, type Statement } from "@provenant/core";
import { formatImageReference, type ImageReference, imageName, parseImageArgument } from "../reference/reference.js";
import { type PushAttestationOptions, pushAttestation } from "../referrers/push.js";
import { resolveImage } from "../referrers/resolve.js";
import type { RegistryClient } from "../registry/client.js";

export interface PushResult {
  /** The image as `registry/repo@digest`. */
  image: string;
  /** Digest of the attestation manifest (the existing one when `alreadyStored`). */
  attestation: string;
  via: "referrers-api" | "referrers-tag";
  /** The same bundle was already stored beside the image; nothing was pushed. */
  alreadyStored?: true;
}

export interface PushBundleOptions extends Omit<Partial<PushAttestationOptions>, "predicateType"> {
  imagePlatform?: string;
  /**
   * `attest --push`: take the image digest from the statement's subject of
   * the same name, so a tag moved since attesting cannot send the
   * attestation to another image.
   */
  attested?: boolean;
}

/**
 * Pushes a bundle beside an image. The image digest must be one the bundle
 * attests; a tag is resolved (or, with `attested`, read from the statement).
 */
export async function pushBundle(
  client: RegistryClient,
  reference: ImageReference,
  bundleBytes: Uint8Array,
  statement: Statement,
  options: PushBundleOptions = {},
): Promise<PushResult> {
  const { imagePlatform, attested, ...timing } = options;
  const attestedDigests = statement.subject.flatMap((s) => (s.digest.sha256 ? [`sha256:${s.digest.sha256}`] : []));
  let digest = reference.digest;
  if (!digest && attested) {
    const named = statement.subject.filter((s) => s.name === imageName(reference) && s.digest.sha256);
    if (named.length === 1) digest = `sha256:${named[0]!.digest.sha256}`;
  }
  digest ??= (await resolveImage(client, reference, { ...(imagePlatform && { platform: imagePlatform }) })).descriptor.digest;
  const shown = formatImageReference({ ...reference, digest });
  if (!attestedDigests.includes(digest)) {
    throw new ProvenantError(
      "SUBJECT_MISMATCH",
      `${shown}: the bundle does not attest this image (its subjects are ${attestedDigests.join(", ") || "not sha256 digests"}); expected a bundle made for the image digest`,
    );
  }
  const manifest = await client.getManifest(reference, digest);
  if (!manifest) throw new ProvenantError("NO_SUBJECTS_MATCHED", `${shown} is not in the registry; push the image before its attestation`);
  const pushed = await pushAttestation(client, reference, { mediaType: manifest.mediaType, digest, size: manifest.size }, bundleBytes, {
    ...timing,
    predicateType: statement.predicateType,
  });
  return { image: shown, attestation: pushed.digest, via: pushed.via, ...(pushed.alreadyStored && { alreadyStored: true as const }) };
}

/** `attest --push`: push a freshly made bundle beside every image argument (`oci://…`). */
export async function pushAfterAttest(
  client: RegistryClient,
  imageArguments: readonly string[],
  bundleBytes: Uint8Array,
  statement: Statement,
  options: Omit<PushBundleOptions, "attested"> = {},
): Promise<PushResult[]> {
  const results: PushResult[] = [];
  for (const argument of imageArguments) {
    results.push(await pushBundle(client, parseImageArgument(argument), bundleBytes, statement, { ...options, attested: true }));
  }
  return results;
}
