import type { RegistryOptions } from "@provenant/subjects";
import type { DigestSet } from "@provenant/core";
import type { ArtifactUnderTest } from "@provenant/policy";
import type { Io } from "../io.js";
import { printable } from "../output/escape.js";
import { registryImageArgument } from "./oci.js";
import { TOKEN_ENV } from "./server.js";

/** An artifact with the attestations gathered for it from a registry or a vault. */
export interface GatheredEvidence {
  artifact: ArtifactUnderTest & { name: string };
  documents: unknown[];
}

/**
 * `verify --policy FILE --image REF`: the image (by its digest) is the
 * artifact, and every attestation stored beside it in its registry
 * (referrers API, the sha256-<hex> tag index, cosign's .att tag) is evidence.
 * Unreadable ones are warned about and left out; the policy decides on the rest.
 */
export async function imageEvidence(
  image: string,
  registry: RegistryOptions,
  io: Io,
): Promise<GatheredEvidence> {
  const { createRegistryClient } = await import("@provenant/subjects/images");
  const { formatImageReference, imageDigestSet, pullAttestations, resolveImage } = await import("@provenant/oci");
  const named = registryImageArgument(image, "verify --image");
  const client = createRegistryClient(io, registry);
  const { reference, descriptor } = await resolveImage(client, named, { ...(registry.imagePlatform && { platform: registry.imagePlatform }) });
  const shown = formatImageReference(reference);
  const documents: unknown[] = [];
  for (const pulled of await pullAttestations(client, reference, descriptor.digest)) {
    if (pulled.problem !== undefined || pulled.document === undefined) {
      io.stderr(`provenant: warning: skipping attestation ${pulled.layerDigest ?? pulled.manifestDigest}: ${printable(pulled.problem ?? "no document")}\n`);
      continue;
    }
    documents.push(pulled.document);
  }
  return {
    // match.images globs see REGISTRY/REPO, without tag or digest.
    artifact: { name: shown, digest: imageDigestSet(descriptor.digest, shown), image: `${reference.registry}/${reference.repository}` },
    documents,
  };
}

/**
 * `verify --policy FILE --server URL`: every attestation the vault holds for
 * the artifact's digest is evidence (read token in $PROVENANT_TOKEN when the
 * vault wants one). Their log proofs are checked by the policy's trust.log.
 */
export async function vaultEvidence(server: string, digest: DigestSet, io: Io): Promise<unknown[]> {
  const { attestationsByDigest } = await import("@provenant/server-client");
  const options = { server, token: io.env[TOKEN_ENV] || undefined };
  const documents: unknown[] = [];
  for (const [algorithm, hex] of Object.entries(digest)) {
    for (const attestation of await attestationsByDigest(options, `${algorithm}:${hex}`)) documents.push(attestation.bundle);
  }
  return documents;
}
