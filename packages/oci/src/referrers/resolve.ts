import { ProvenantError } from "@provenant/core";
import { INDEX_MEDIA_TYPES } from "../manifest/media-types.js";
import { type Descriptor, parseIndex } from "../manifest/schemas.js";
import { formatImageReference, type ImageReference } from "../reference/reference.js";
import type { RegistryClient } from "../registry/client.js";

export interface ResolvedImage {
  reference: ImageReference;
  /** The descriptor attestations point at as their `subject`. */
  descriptor: Descriptor;
}

/** `os/arch[/variant]` as docker's `--platform` takes it. */
export function parsePlatform(text: string): { os: string; architecture: string; variant?: string } {
  const parts = text.split("/");
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === "")) {
    throw new ProvenantError("USAGE", `--platform ${text}: expected OS/ARCH[/VARIANT], e.g. linux/amd64 or linux/arm64/v8`);
  }
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  return { os, architecture, ...(variant && { variant }) };
}

/**
 * Resolves a tag (or checks a digest) to the manifest descriptor. A
 * multi-arch index keeps the index digest — that is what `docker pull`
 * records and what a deployment names — unless `platform` picks a child.
 */
export async function resolveImage(
  client: RegistryClient,
  reference: ImageReference,
  options: { platform?: string } = {},
): Promise<ResolvedImage> {
  const manifest = await client.getManifest(reference, reference.digest ?? reference.tag ?? "latest");
  if (!manifest) {
    throw new ProvenantError("NO_SUBJECTS_MATCHED", `image ${formatImageReference(reference)} not found in its registry; expected an existing tag or digest`);
  }
  const descriptor: Descriptor = { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.size };
  if (!options.platform) return { reference: { ...reference, digest: manifest.digest }, descriptor };

  const wanted = parsePlatform(options.platform);
  if (!INDEX_MEDIA_TYPES.includes(manifest.mediaType)) {
    throw new ProvenantError("USAGE", `--platform ${options.platform}: ${formatImageReference(reference)} is a single-platform image, not an index`);
  }
  const index = parseIndex(manifest.bytes, `index ${formatImageReference(reference)}`);
  const child = index.manifests.find(
    (m) =>
      m.platform?.os === wanted.os &&
      m.platform.architecture === wanted.architecture &&
      (wanted.variant === undefined || m.platform.variant === wanted.variant),
  );
  if (!child) {
    const offered = index.manifests.flatMap((m) => (m.platform ? [[m.platform.os, m.platform.architecture, m.platform.variant].filter(Boolean).join("/")] : []));
    throw new ProvenantError("NO_SUBJECTS_MATCHED", `${formatImageReference(reference)} has no ${options.platform} image; it offers ${offered.join(", ") || "no platforms"}`);
  }
  // Fetch the child so its bytes are checked against the digest the index names.
  const fetched = await client.getManifest(reference, child.digest);
  if (!fetched) throw new ProvenantError("NO_SUBJECTS_MATCHED", `${formatImageReference(reference)}: the index names ${child.digest}, which the registry does not have`);
  return {
    reference: { ...reference, digest: child.digest },
    descriptor: { mediaType: fetched.mediaType, digest: child.digest, size: fetched.size },
  };
}
