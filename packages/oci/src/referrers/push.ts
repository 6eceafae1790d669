import { ProvenantError } from "@provenant/core";
import { sha256Digest } from "../manifest/digest.js";
import { EMPTY_CONFIG, MEDIA_TYPES } from "../manifest/media-types.js";
import { type Descriptor, type ImageIndex, type ImageManifest, parseIndex } from "../manifest/schemas.js";
import type { RegistryClient, Repository } from "../registry/client.js";
import { referrersTag } from "./fallback-tag.js";
import { listAttestations } from "./pull.js";

/** Annotations sigstore's OCI conventions put on a bundle referrer. */
export const BUNDLE_CONTENT_ANNOTATION = "dev.sigstore.bundle.content";
export const BUNDLE_PREDICATE_TYPE_ANNOTATION = "dev.sigstore.bundle.predicateType";
const CREATED_ANNOTATION = "org.opencontainers.image.created";

/**
 * Time and chance, as parameters (STYLE 12): tests pass a virtual clock whose
 * `sleep` advances it, so the merge logic is checked and not the machine's speed.
 */
export interface PushTiming {
  /** Milliseconds on a monotonic clock; default `performance.now()`. */
  clock: () => number;
  sleep: (ms: number) => Promise<void>;
  /** A number in [0, 1) for the jitter between retries; default `Math.random`. */
  random: () => number;
}

export interface PushAttestationOptions extends Partial<PushTiming> {
  /** The in-toto predicateType inside the bundle's envelope. */
  predicateType: string;
  now?: () => Date;
  /**
   * Registries that ignore `If-Match` (distribution 2.8 does) let a
   * concurrent writer overwrite the fallback tag index; the push then waits
   * this long before reading the tag back, and again between the two
   * read-backs that must both list the attestation. Default: adaptive, four
   * times the slowest round trip of this push, between `MIN_SETTLE_MS` and
   * `MAX_SETTLE_MS`. Not used when the registry honours conditional writes.
   */
  settleMs?: number;
  /** Rounds of read-merge-write before giving up on the fallback tag. */
  maxRounds?: number;
}

/** Bounds of the adaptive settle window (see `PushAttestationOptions.settleMs`). */
export const MIN_SETTLE_MS = 100;
export const MAX_SETTLE_MS = 1000;

export const realTiming: PushTiming = {
  clock: () => performance.now(),
  sleep: (ms) => new Promise<void>((done) => setTimeout(done, ms)),
  random: Math.random,
};

export interface PushedAttestation {
  /** Digest of the attestation manifest. */
  digest: string;
  /** `referrers-api`: the registry indexed it; `referrers-tag`: Provenant maintained the fallback tag index. */
  via: "referrers-api" | "referrers-tag";
  /**
   * How the fallback tag was kept safe from concurrent writers:
   * `conditional` when the registry enforced `If-None-Match` (one
   * conditional write, no waiting), `settle` when it did not (read-backs
   * after a settle window). Absent for `referrers-api`.
   */
  guard?: "conditional" | "settle";
  /** The same bundle was already stored for this image: nothing was pushed, `digest` is the existing referrer. */
  alreadyStored?: true;
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
  const timing: PushTiming = {
    clock: options.clock ?? realTiming.clock,
    sleep: options.sleep ?? realTiming.sleep,
    random: options.random ?? realTiming.random,
  };
  // Idempotent: a bundle already stored for this image (same bytes, a
  // referrer whose manifest checks out) is not pushed again, so re-running a
  // job leaves one referrer, not one per run (each manifest differs by its
  // created annotation).
  const bundleDigest = sha256Digest(bundle);
  const stored = (await listAttestations(client, repo, subject.digest)).find((a) => a.bundleDigest === bundleDigest && a.problem === undefined);
  if (stored && stored.source !== "cosign-att") return { digest: stored.manifestDigest, via: stored.source, alreadyStored: true };

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
  const manifestDigest = sha256Digest(manifestBytes);
  const sentAt = timing.clock();
  const put = await client.putManifest(repo, manifestDigest, manifestBytes, MEDIA_TYPES.ociManifest);
  const roundTripMs = timing.clock() - sentAt;
  if (put.conflict) throw new ProvenantError("IO_ERROR", "the registry refused an attestation manifest pushed by digest with 412");
  if (put.ociSubject === subject.digest) return { digest: put.digest, via: "referrers-api" };

  const descriptor: Descriptor = {
    mediaType: MEDIA_TYPES.ociManifest,
    digest: put.digest,
    size: manifestBytes.length,
    artifactType: MEDIA_TYPES.sigstoreBundle,
    annotations,
  };
  // A safe probe of whether the registry enforces conditional writes: the
  // manifest just pushed, again under its own digest with If-None-Match: *.
  // One that honours it answers 412; one that ignores it rewrites identical,
  // content-addressed bytes, which changes nothing.
  const probe = await client.putManifest(repo, manifestDigest, manifestBytes, MEDIA_TYPES.ociManifest, { ifNoneMatch: "*" });
  const tag = { client, repo, subjectDigest: subject.digest, descriptor, timing, maxRounds: options.maxRounds ?? 10 };
  if (probe.conflict) {
    await addConditionally(tag);
    return { digest: put.digest, via: "referrers-tag", guard: "conditional" };
  }
  const settleMs = options.settleMs ?? Math.min(MAX_SETTLE_MS, Math.max(MIN_SETTLE_MS, Math.ceil(4 * roundTripMs)));
  await addWithSettleWindows({ ...tag, settleMs });
  return { digest: put.digest, via: "referrers-tag", guard: "settle" };
}

interface TagUpdate {
  client: RegistryClient;
  repo: Repository;
  subjectDigest: string;
  descriptor: Descriptor;
  timing: PushTiming;
  maxRounds: number;
}

function tagAccess({ client, repo, subjectDigest, descriptor }: TagUpdate) {
  const tag = referrersTag(subjectDigest);
  const what = `referrers tag ${repo.registry}/${repo.repository}:${tag}`;
  return {
    tag,
    what,
    listed: (index: ImageIndex | undefined) => index?.manifests.some((m) => m.digest === descriptor.digest) ?? false,
    read: async () => {
      const current = await client.getManifest(repo, tag);
      return { current, index: current ? parseIndex(current.bytes, what) : undefined };
    },
    merged: (index: ImageIndex | undefined) =>
      encode({
        ...(index ?? {}),
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.ociIndex,
        manifests: [...(index?.manifests ?? []), descriptor],
      } satisfies ImageIndex),
  };
}

/**
 * On a registry that enforces If-Match / If-None-Match, a write made from a
 * stale read is refused with 412, so a successful conditional write is final:
 * no settle window, no read-back.
 */
async function addConditionally(update: TagUpdate): Promise<void> {
  const { client, repo, descriptor, timing, maxRounds } = update;
  const { tag, what, listed, read, merged } = tagAccess(update);
  for (let round = 0; round < maxRounds; round++) {
    const { current, index } = await read();
    if (listed(index)) return;
    // Without an ETag there is nothing to make the write conditional on.
    const conditions = current ? (current.etag ? { ifMatch: current.etag } : {}) : { ifNoneMatch: "*" };
    const put = await client.putManifest(repo, tag, merged(index), MEDIA_TYPES.ociIndex, conditions);
    if (!put.conflict) return;
    // Lost a race: back off a little, with jitter so that two writers stop colliding.
    await timing.sleep(timing.random() * 20 * (round + 1));
  }
  throw new ProvenantError(
    "IO_ERROR",
    `${what}: other writers kept replacing the index; ${descriptor.digest} was pushed but is not listed after ${maxRounds} attempts`,
  );
}

async function addWithSettleWindows(update: TagUpdate & { settleMs: number }): Promise<void> {
  const { client, repo, descriptor, timing, maxRounds, settleMs } = update;
  const { tag, what, listed, read, merged } = tagAccess(update);

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
    const sentAt = timing.clock();
    const { current, index } = await read();
    if (listed(index)) {
      if (++confirmed >= 2) return;
    } else {
      confirmed = 0;
      // The spec asks for a conditional write; registries that honour it turn a lost race into a 412.
      const conditions = current?.etag ? { ifMatch: current.etag } : current ? {} : { ifNoneMatch: "*" };
      if (timing.clock() - sentAt > settleMs / 2) {
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
      const put = await client.putManifest(repo, tag, merged(index), MEDIA_TYPES.ociIndex, conditions);
      if (put.conflict) {
        await timing.sleep(timing.random() * settleMs);
        continue;
      }
      // Jitter only after a write, so that two writers that collided drift apart.
      await timing.sleep(settleMs * (1 + timing.random() / 2));
      continue;
    }
    await timing.sleep(settleMs);
  }
  throw new ProvenantError(
    "IO_ERROR",
    `${what}: other writers kept replacing the index; ${descriptor.digest} was pushed but is not listed after ${maxRounds} attempts`,
  );
}
