import { createPublicKey, type KeyObject } from "node:crypto";
import { ProvenantError } from "../error.js";
import { keyIdOf } from "./algorithms.js";

/**
 * The member of a Provenant server's trusted-root.json that names its
 * signing service's keys. A Sigstore TrustedRoot has no place for plain
 * signing keys, so this is an extension field (`<vendor>_<name>`, as the
 * provenance extensions are); Sigstore clients ignore members they do not
 * know. A verifier given the file trusts these keys as *service* keys: only
 * their signatures can support SLSA Build L3.
 */
export const TRUSTED_ROOT_SERVICE_KEYS = "provenant_serviceKeys";

/** At most this many service keys are read from one trusted root (a server has one, two while rotating). */
const MAX_SERVICE_KEYS = 16;

export interface TrustedRootServiceKey {
  /** lowercase hex SHA-256 of the DER SubjectPublicKeyInfo (the envelope signatures' keyid). */
  keyId: string;
  /** The TrustedRoot's own PublicKey shape (protobuf-specs JSON). */
  publicKey: { rawBytes: string; keyDetails: string; validFor: { start: string } };
}

/** protobuf-specs PublicKeyDetails for the key kinds Provenant signs with. */
function keyDetailsOf(publicKey: KeyObject): string {
  const type = publicKey.asymmetricKeyType;
  if (type === "ed25519") return "PKIX_ED25519";
  if (type === "ec") {
    const curve = publicKey.asymmetricKeyDetails?.namedCurve;
    if (curve === "prime256v1") return "PKIX_ECDSA_P256_SHA_256";
    if (curve === "secp384r1") return "PKIX_ECDSA_P384_SHA_384";
    if (curve === "secp521r1") return "PKIX_ECDSA_P521_SHA_512";
  }
  if (type === "rsa") return `PKIX_RSA_PKCS1V15_${publicKey.asymmetricKeyDetails?.modulusLength ?? 2048}_SHA256`;
  return "PUBLIC_KEY_DETAILS_UNSPECIFIED";
}

/** The trusted-root entry for a signing service's public key. */
export function trustedRootServiceKey(publicKey: KeyObject, validFrom: string): TrustedRootServiceKey {
  return {
    keyId: keyIdOf(publicKey),
    publicKey: {
      rawBytes: publicKey.export({ type: "spki", format: "der" }).toString("base64"),
      keyDetails: keyDetailsOf(publicKey),
      validFor: { start: validFrom },
    },
  };
}

/**
 * The service keys a trusted root names (none when it has no such member).
 * A malformed entry, or one whose keyId is not its key's, is refused rather
 * than skipped: a trust file that does not say what it seems to is an error.
 */
export function serviceKeysOfTrustedRoot(root: unknown, source: string): KeyObject[] {
  const entries = (root as Record<string, unknown> | null)?.[TRUSTED_ROOT_SERVICE_KEYS];
  if (entries === undefined) return [];
  if (!Array.isArray(entries) || entries.length > MAX_SERVICE_KEYS) {
    throw new ProvenantError("KEY_UNREADABLE", `${source}: ${TRUSTED_ROOT_SERVICE_KEYS} must be a list of at most ${MAX_SERVICE_KEYS} keys`);
  }
  return entries.map((entry, i) => {
    const where = `${source}: ${TRUSTED_ROOT_SERVICE_KEYS}[${i}]`;
    const raw = (entry as { publicKey?: { rawBytes?: unknown } } | null)?.publicKey?.rawBytes;
    const keyId = (entry as { keyId?: unknown } | null)?.keyId;
    if (typeof raw !== "string" || raw.length > 4096 || typeof keyId !== "string") {
      throw new ProvenantError("KEY_UNREADABLE", `${where}: expected { keyId, publicKey: { rawBytes: base64 DER SubjectPublicKeyInfo } }`);
    }
    let publicKey: KeyObject;
    try {
      publicKey = createPublicKey({ key: Buffer.from(raw, "base64"), format: "der", type: "spki" });
    } catch (cause) {
      throw new ProvenantError("KEY_UNREADABLE", `${where}: publicKey.rawBytes is not a DER SubjectPublicKeyInfo`, { cause });
    }
    if (keyIdOf(publicKey) !== keyId) {
      throw new ProvenantError("KEY_UNREADABLE", `${where}: keyId ${keyId.slice(0, 80)} is not the SHA-256 of the key it names (${keyIdOf(publicKey)})`);
    }
    return publicKey;
  });
}
