import { ProvenantError, type VerificationReport, type VerifyOptions, verify } from "@provenant/core";
import { formatImageReference, type ImageReference } from "../reference/reference.js";
import { type AttestationSource, pullAttestations } from "../referrers/pull.js";
import { resolveImage } from "../referrers/resolve.js";
import type { RegistryClient } from "../registry/client.js";
import { signerKeyIds } from "./signer.js";

/**
 * The in-toto DigestSet an image's subject must carry: `{ sha256: hex }` or
 * `{ sha512: hex }`, the two algorithms the distribution spec and the
 * reference grammar allow. Anything else is refused rather than compared as
 * a garbled sha256.
 */
export function imageDigestSet(digest: string, image: string): { [algorithm: string]: string } {
  const match = /^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$/.test(digest) ? digest.split(":") : undefined;
  if (!match) {
    throw new ProvenantError("INVALID_DIGEST", `${image}: image digest ${digest.slice(0, 80)} is not sha256:<64 hex> or sha512:<128 hex>; expected a registry manifest digest`);
  }
  return { [match[0]!]: match[1]! };
}

export interface StoredAttestationResult {
  /** The referrer manifest digest (cosign: its envelope layer digest), as `attestations list` shows it. */
  attestation: string;
  source: AttestationSource;
  /** Key ids the attestation's signatures name (not yet checked against trusted keys). */
  keyIds: string[];
  /** Present when the attestation could be read. */
  report?: VerificationReport;
  /** Why it could not be read or used; no report then. */
  problem?: string;
}

export interface StoredVerification {
  /** The image as `registry/repo@digest`. */
  image: string;
  digest: string;
  /** True when one attestation passed every check. */
  verified: boolean;
  /** Index into `attestations` of the first one that verified. */
  chosen?: number;
  attestations: StoredAttestationResult[];
}

export interface VerifyStoredOptions extends Omit<VerifyOptions, "artifactDigests"> {
  /** For a multi-arch image: verify this platform's manifest, not the index. */
  platform?: string;
}

/**
 * Pulls every attestation stored beside an image and verifies each against
 * the image digest, the trusted keys and the policy. Returns data only: the
 * CLI, the GitHub action and the Azure task render it their own way.
 */
export async function verifyStoredAttestations(client: RegistryClient, image: ImageReference, options: VerifyStoredOptions): Promise<StoredVerification> {
  const { platform, ...verifyOptions } = options;
  const { reference, descriptor } = await resolveImage(client, image, { ...(platform && { platform }) });
  const shown = formatImageReference(reference);
  const artifactDigests = [imageDigestSet(descriptor.digest, shown)];
  const attestations: StoredAttestationResult[] = (await pullAttestations(client, reference, descriptor.digest)).map((p) => {
    const attestation = p.layerDigest ?? p.manifestDigest;
    if (p.problem !== undefined || p.document === undefined) {
      return { attestation, source: p.source, keyIds: [], problem: p.problem ?? "no document" };
    }
    return { attestation, source: p.source, keyIds: signerKeyIds(p.document), report: verify(p.document, { ...verifyOptions, artifactDigests }) };
  });
  const chosen = attestations.findIndex((a) => a.report?.verified);
  return { image: shown, digest: descriptor.digest, verified: chosen >= 0, ...(chosen >= 0 && { chosen }), attestations };
}
