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
  /** For Sigstore bundle referrers whose manifest checked out: the digest of the bundle layer. */
  bundleDigest?: string;
  predicateType?: string;
  created?: string;
  /**
   * Why this one cannot be used: its manifest is missing or unreadable, or
   * its `subject` is another image. The others are still returned.
   */
  problem?: string;
}

export interface PulledAttestation extends StoredAttestation {
  /** The parsed JSON: a Sigstore bundle, or a bare DSSE envelope from cosign. */
  document?: unknown;
}

const isSigstoreBundle = (type: string | undefined) => type?.startsWith("application/vnd.dev.sigstore.bundle") ?? false;

/** A listed attestation and, once its manifest was checked, the blob that holds it. */
interface Located {
  stored: StoredAttestation;
  blob?: { digest: string; what: string };
}

/**
 * Lists the attestations stored for an image digest: the referrers API when
 * the registry has it and the `sha256-<hex>` tag index, merged (one entry
 * per manifest digest, the API's first); plus cosign's legacy
 * `sha256-<hex>.att` attachment, whose layers are DSSE envelopes.
 *
 * Each referrer's own manifest is fetched (checked against its digest) and
 * its `subject` compared with the image: an index is only a claim — a tag
 * anyone with push access can rewrite, or a registry's answer — and one
 * listing another image's attestations comes back with a `problem`.
 */
export async function listAttestations(client: RegistryClient, repo: Repository, subjectDigest: string): Promise<StoredAttestation[]> {
  return (await locateAttestations(client, repo, subjectDigest)).map((located) => located.stored);
}

/**
 * Lists and downloads the attestations for an image digest. Every manifest
 * and blob is checked against its digest; one that cannot be used is
 * returned with its `problem` and no `document`.
 */
export async function pullAttestations(client: RegistryClient, repo: Repository, subjectDigest: string): Promise<PulledAttestation[]> {
  const pulled: PulledAttestation[] = [];
  for (const { stored, blob } of await locateAttestations(client, repo, subjectDigest)) {
    if (!blob) {
      pulled.push(stored);
      continue;
    }
    try {
      pulled.push({ ...stored, document: parseJsonBytes(await client.getBlob(repo, blob.digest), blob.what) });
    } catch (error) {
      pulled.push({ ...stored, problem: (error as Error).message });
    }
  }
  return pulled;
}

async function locateAttestations(client: RegistryClient, repo: Repository, subjectDigest: string): Promise<Located[]> {
  const listed: StoredAttestation[] = [];
  const seen = new Set<string>();
  const fromIndex = (source: AttestationSource, manifests: readonly Descriptor[]) => {
    for (const m of manifests) {
      if (!isSigstoreBundle(m.artifactType) || seen.has(m.digest)) continue;
      seen.add(m.digest);
      const predicateType = m.annotations?.[BUNDLE_PREDICATE_TYPE_ANNOTATION];
      const created = m.annotations?.["org.opencontainers.image.created"];
      listed.push({ source, manifestDigest: m.digest, mediaType: m.mediaType, ...(predicateType && { predicateType }), ...(created && { created }) });
    }
  };
  const api = await client.getReferrers(repo, subjectDigest);
  if (api) fromIndex("referrers-api", api.manifests);
  // Read the tag even when the API answers: what was pushed before the registry
  // gained the API is listed only there, and the API does not index it.
  // One unreadable source (a broken tag index, a bogus cosign tag: anyone with
  // push access can write those) is reported as a problem of its own and
  // hides none of the attestations the other sources list.
  const unreadable: Located[] = [];
  const tag = await client.getManifest(repo, referrersTag(subjectDigest));
  if (tag) {
    try {
      fromIndex("referrers-tag", parseIndex(tag.bytes, `referrers tag of ${subjectDigest}`).manifests);
    } catch (error) {
      unreadable.push({ stored: { source: "referrers-tag", manifestDigest: tag.digest, mediaType: tag.mediaType, problem: (error as Error).message } });
    }
  }

  const located: Located[] = [...unreadable];
  for (const stored of listed) {
    try {
      const blob = await bundleLayerOf(client, repo, subjectDigest, stored.manifestDigest);
      located.push({ stored: { ...stored, bundleDigest: blob.digest }, blob });
    } catch (error) {
      located.push({ stored: { ...stored, problem: (error as Error).message } });
    }
  }

  // cosign's tag is bound to the image by its name alone; its manifest has no subject.
  const cosign = await client.getManifest(repo, cosignAttestationTag(subjectDigest));
  if (cosign) {
    let layers: Descriptor[] = [];
    try {
      layers = parseManifest(cosign.bytes, `cosign attestation manifest ${cosignAttestationTag(subjectDigest)}`).layers;
    } catch (error) {
      located.push({ stored: { source: "cosign-att", manifestDigest: cosign.digest, mediaType: cosign.mediaType, problem: (error as Error).message } });
    }
    for (const layer of layers) {
      if (layer.mediaType !== MEDIA_TYPES.dsseEnvelope) continue;
      const predicateType = layer.annotations?.predicateType;
      located.push({
        stored: {
          source: "cosign-att",
          manifestDigest: cosign.digest,
          mediaType: cosign.mediaType,
          layerDigest: layer.digest,
          ...(predicateType && { predicateType }),
        },
        blob: { digest: layer.digest, what: `DSSE envelope ${layer.digest}` },
      });
    }
  }
  return located;
}

/** Fetches a referrer's manifest, checks that it is about the image, and names its bundle layer. */
async function bundleLayerOf(
  client: RegistryClient,
  repo: Repository,
  subjectDigest: string,
  manifestDigest: string,
): Promise<NonNullable<Located["blob"]>> {
  const what = `attestation manifest ${manifestDigest}`;
  const fetched = await client.getManifest(repo, manifestDigest);
  if (!fetched) throw new Error(`${what} is listed but the registry does not have it`);
  const manifest = parseManifest(fetched.bytes, what);
  if (manifest.subject?.digest !== subjectDigest) {
    throw new Error(`${what} is about ${manifest.subject?.digest ?? "no subject"}, not ${subjectDigest}`);
  }
  const layer = manifest.layers.find((l) => isSigstoreBundle(l.mediaType));
  if (!layer) throw new Error(`${what} has no layer of type ${MEDIA_TYPES.sigstoreBundle}`);
  return { digest: layer.digest, what: `bundle ${layer.digest}` };
}
