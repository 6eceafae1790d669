import { MEDIA_TYPES } from "../manifest/media-types.js";
import { type Descriptor, parseIndex, parseJsonBytes, parseManifest } from "../manifest/schemas.js";
import type { RegistryClient, Repository } from "../registry/client.js";
import { cosignAttestationTag, referrersTag } from "./fallback-tag.js";
import { BUNDLE_PREDICATE_TYPE_ANNOTATION } from "./push.js";

export type AttestationSource = "referrers-api" | "referrers-tag" | "cosign-att";

export interface StoredAttestation {
  source: AttestationSource;
  /** The manifest that holds the attestation. */
  manifestDigest: string;
  mediaType: string;
  /** For cosign attachments: the layer (one DSSE envelope each). */
  layerDigest?: string;
  predicateType?: string;
  created?: string;
}

export interface PulledAttestation extends StoredAttestation {
  /** The parsed JSON: a Sigstore bundle, or a bare DSSE envelope from cosign. */
  document?: unknown;
  /** Why this one could not be read; the others are still returned. */
  problem?: string;
}

const isSigstoreBundle = (type: string | undefined) => type?.startsWith("application/vnd.dev.sigstore.bundle") ?? false;

/**
 * Lists the attestations stored for an image digest: the referrers API when
 * the registry has it and the `sha256-<hex>` tag index, merged (one entry
 * per manifest digest, the API's first); plus cosign's legacy
 * `sha256-<hex>.att` attachment, whose layers are DSSE envelopes.
 */
export async function listAttestations(client: RegistryClient, repo: Repository, subjectDigest: string): Promise<StoredAttestation[]> {
  const found: StoredAttestation[] = [];
  const seen = new Set<string>();
  const fromIndex = (source: AttestationSource, manifests: readonly Descriptor[]) => {
    for (const m of manifests) {
      if (!isSigstoreBundle(m.artifactType) || seen.has(m.digest)) continue;
      seen.add(m.digest);
      const predicateType = m.annotations?.[BUNDLE_PREDICATE_TYPE_ANNOTATION];
      const created = m.annotations?.["org.opencontainers.image.created"];
      found.push({ source, manifestDigest: m.digest, mediaType: m.mediaType, ...(predicateType && { predicateType }), ...(created && { created }) });
    }
  };
  const api = await client.getReferrers(repo, subjectDigest);
  if (api) fromIndex("referrers-api", api.manifests);
  // Read the tag even when the API answers: what was pushed before the registry
  // gained the API is listed only there, and the API does not index it.
  const tag = await client.getManifest(repo, referrersTag(subjectDigest));
  if (tag) fromIndex("referrers-tag", parseIndex(tag.bytes, `referrers tag of ${subjectDigest}`).manifests);
  const cosign = await client.getManifest(repo, cosignAttestationTag(subjectDigest));
  if (cosign) {
    const manifest = parseManifest(cosign.bytes, `cosign attestation manifest ${cosignAttestationTag(subjectDigest)}`);
    for (const layer of manifest.layers) {
      if (layer.mediaType !== MEDIA_TYPES.dsseEnvelope) continue;
      const predicateType = layer.annotations?.predicateType;
      found.push({
        source: "cosign-att",
        manifestDigest: cosign.digest,
        mediaType: cosign.mediaType,
        layerDigest: layer.digest,
        ...(predicateType && { predicateType }),
      });
    }
  }
  return found;
}

/**
 * Lists and downloads the attestations for an image digest. Every manifest
 * and blob is checked against its digest; a referrer whose `subject` is a
 * different image is refused (a tag index is just a tag anyone with push
 * access can rewrite).
 */
export async function pullAttestations(client: RegistryClient, repo: Repository, subjectDigest: string): Promise<PulledAttestation[]> {
  const pulled: PulledAttestation[] = [];
  for (const stored of await listAttestations(client, repo, subjectDigest)) {
    try {
      pulled.push({ ...stored, document: await pullOne(client, repo, subjectDigest, stored) });
    } catch (error) {
      pulled.push({ ...stored, problem: (error as Error).message });
    }
  }
  return pulled;
}

async function pullOne(client: RegistryClient, repo: Repository, subjectDigest: string, stored: StoredAttestation): Promise<unknown> {
  if (stored.source === "cosign-att") {
    const layer = stored.layerDigest!;
    return parseJsonBytes(await client.getBlob(repo, layer), `DSSE envelope ${layer}`);
  }
  const what = `attestation manifest ${stored.manifestDigest}`;
  const fetched = await client.getManifest(repo, stored.manifestDigest);
  if (!fetched) throw new Error(`${what} is listed but the registry does not have it`);
  const manifest = parseManifest(fetched.bytes, what);
  if (manifest.subject?.digest !== subjectDigest) {
    throw new Error(`${what} is about ${manifest.subject?.digest ?? "no subject"}, not ${subjectDigest}`);
  }
  const layer = manifest.layers.find((l) => isSigstoreBundle(l.mediaType));
  if (!layer) throw new Error(`${what} has no layer of type ${MEDIA_TYPES.sigstoreBundle}`);
  return parseJsonBytes(await client.getBlob(repo, layer.digest), `bundle ${layer.digest}`);
}
