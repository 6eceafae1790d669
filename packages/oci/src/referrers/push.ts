import { ProvenantError } from "@provenant/core";
import { sha256Digest } from "../manifest/digest.js";
import { EMPTY_CONFIG, MEDIA_TYPES } from "../manifest/media-types.js";
import { type Descriptor, type ImageIndex, type ImageManifest, parseIndex } from "../manifest/schemas.js";
import type { RegistryClient, Repository } from "../registry/client.js";
import { referrersTag } from "./fallback-tag.js";

/** Annotations sigstore's OCI conventions put on a bundle referrer. */
export const BUNDLE_CONTENT_ANNOTATION = "dev.sigstore.bundle.content";
export const BUNDLE_PREDICATE_TYPE_ANNOTATION = "dev.sigstore.bundle.predicateType";
const CREATED_ANNOTATION = "org.opencontainers.image.created";

export interface PushAttestationOptions {
  /** The in-toto predicateType inside the bundle's envelope. */
  predicateType: string;
  now?: () => Date;
  /**
   * How long to wait before reading the fallback tag back, and between the
   * two read-backs that must both list the attestation. Registries that
   * ignore `If-Match` (distribution 2.8 does) let a concurrent writer
   * overwrite the index; the read-backs notice and merge again.
   */
  settleMs?: number;
  /** Rounds of read-merge-write before giving up on the fallback tag. */
  maxRounds?: number;
  /**
   * Time and chance are parameters (tests run the merge logic on a virtual
   * clock, so no assertion depends on how fast the machine is): `clock` in
   * milliseconds (default performance.now), `sleep` (default setTimeout),
   * `random` in [0, 1) for the back-off jitter (default Math.random).
   */
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface PushedAttestation {
  /** Digest of the attestation manifest. */
  digest: string;
  /** `referrers-api`: the registry indexed it; `referrers-tag`: Provenant maintained the fallback tag index. */
  via: "referrers-api" | "referrers-tag";
}

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

/**
 * Stores a Sigstore bundle beside an image as an OCI 1.1 referrer: the empty
 * config, one layer holding the bundle, `subject` = the image. Registries
 * with the referrers API index it themselves (they answer with an
 * `OCI-Subject` header); for the others the `sha256-<hex>` tag index is
 * updated so clients can still find it.
 */
export async function pushAttestation(
  client: RegistryClient,
  repo: Repository,
  subject: Descriptor,
  bundle: Uint8Array,
  options: PushAttestationOptions,
): Promise<PushedAttestation> {
  const config = encode({});
  await client.putBlob(repo, config);
  const layerDigest = await client.putBlob(repo, bundle);
  const annotations = {
    [BUNDLE_CONTENT_ANNOTATION]: "dsse-envelope",
    [BUNDLE_PREDICATE_TYPE_ANNOTATION]: options.predicateType,
    [CREATED_ANNOTATION]: (options.now?.() ?? new Date()).toISOString().replace(/\.\d{3}Z$/, "Z"),
  };
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    artifactType: MEDIA_TYPES.sigstoreBundle,
    config: { mediaType: EMPTY_CONFIG.mediaType, digest: EMPTY_CONFIG.digest, size: EMPTY_CONFIG.size },
    layers: [{ mediaType: MEDIA_TYPES.sigstoreBundle, digest: layerDigest, size: bundle.length }],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations,
  };
  const manifestBytes = encode(manifest);
  const put = await client.putManifest(repo, sha256Digest(manifestBytes), manifestBytes, MEDIA_TYPES.ociManifest);
  if (put.conflict) throw new ProvenantError("IO_ERROR", "the registry refused an attestation manifest pushed by digest with 412");
  if (put.ociSubject === subject.digest) return { digest: put.digest, via: "referrers-api" };

  const descriptor: Descriptor = {
    mediaType: MEDIA_TYPES.ociManifest,
    digest: put.digest,
    size: manifestBytes.length,
    artifactType: MEDIA_TYPES.sigstoreBundle,
    annotations,
  };
  await addToReferrersTag(client, repo, subject.digest, descriptor, options);
  return { digest: put.digest, via: "referrers-tag" };
}

async function addToReferrersTag(
  client: RegistryClient,
  repo: Repository,
  subjectDigest: string,
  descriptor: Descriptor,
  options: PushAttestationOptions,
): Promise<void> {
  const tag = referrersTag(subjectDigest);
  const what = `referrers tag ${repo.registry}/${repo.repository}:${tag}`;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((done) => setTimeout(done, ms)));
  const settleMs = options.settleMs ?? 500;
  const maxRounds = options.maxRounds ?? 10;
  const listed = (index: ImageIndex | undefined) => index?.manifests.some((m) => m.digest === descriptor.digest) ?? false;
  const readIndex = async () => {
    const current = await client.getManifest(repo, tag);
    return { current, index: current ? parseIndex(current.bytes, what) : undefined };
  };

  const now = options.clock ?? (() => performance.now());
  const random = options.random ?? Math.random;
  // On registries that ignore If-Match, what keeps an attestation is timing:
  // 1. a write is made from a fresh read: when more than settleMs/2 passed
  //    between sending the GET and being about to send the PUT (a slow
  //    registry, a stalled event loop), the index is read again instead, so
  //    this writer's merge cannot land late on a push that has already
  //    finished its read-backs;
  // 2. a push ends only when two read-backs, settleMs apart and the first at
  //    least settleMs after its last write, both list it. Another writer that
  //    read the index before that write and lands its stale copy within
  //    settleMs of reading is caught by the second read-back at the latest.
  let confirmed = 0;
  let staleReads = 0;
  for (let round = 0; round < maxRounds; ) {
    // Timed from before the request is sent: the registry may have read the
    // tag at any moment until its answer arrived.
    const sentAt = now();
    const { current, index } = await readIndex();
    if (listed(index)) {
      if (++confirmed >= 2) return;
    } else {
      confirmed = 0;
      const next: ImageIndex = {
        ...(index ?? {}),
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.ociIndex,
        manifests: [...(index?.manifests ?? []), descriptor],
      };
      const bytes = encode(next);
      // The spec asks for a conditional write; registries that honour it turn a lost race into a 412.
      const conditions = current?.etag ? { ifMatch: current.etag } : current ? {} : { ifNoneMatch: "*" };
      if (now() - sentAt > settleMs / 2) {
        // Not a round: nothing was written. Bounded all the same, so a registry
        // that is always this slow fails with a hint rather than spinning.
        if (++staleReads > maxRounds) {
          throw new ProvenantError(
            "IO_ERROR",
            `${what}: ${staleReads} reads in a row took over ${settleMs / 2} ms (settleMs / 2), too slow to merge safely; ${descriptor.digest} was pushed but is not listed (raise settleMs for this registry)`,
          );
        }
        continue;
      }
      staleReads = 0;
      round++;
      const put = await client.putManifest(repo, tag, bytes, MEDIA_TYPES.ociIndex, conditions);
      if (put.conflict) {
        await sleep(random() * settleMs);
        continue;
      }
    }
    await sleep(settleMs * (1 + random() / 2));
  }
  throw new ProvenantError(
    "IO_ERROR",
    `${what}: other writers kept replacing the index; ${descriptor.digest} was pushed but is not listed after ${maxRounds} attempts`,
  );
}
