import {
  constants,
  createHash,
  type KeyObject,
  sign as nodeSign,
  verify as nodeVerify,
} from "node:crypto";
import { ProvenantError } from "../error.js";

export type KeyAlgorithm = "ecdsa-p256" | "ecdsa-p384" | "ed25519" | "rsa";
export type RsaPadding = "pkcs1" | "pss";

// A KeyObject never changes, so what is read from it is read once: a gate
// verifies bundle after bundle with the same keys, and the key id (a DER
// export and a hash) and the key details (a call into OpenSSL) cost a
// measurable share of one verification. Weak, so keys can still be freed.
const keyIds = new WeakMap<KeyObject, string>();
const algorithms = new WeakMap<KeyObject, KeyAlgorithm>();

/** Lowercase hex SHA-256 of the DER SubjectPublicKeyInfo (DESIGN: key id). */
export function keyIdOf(publicKey: KeyObject): string {
  let keyId = keyIds.get(publicKey);
  if (keyId === undefined) {
    const der = publicKey.export({ type: "spki", format: "der" });
    keyId = createHash("sha256").update(der).digest("hex");
    keyIds.set(publicKey, keyId);
  }
  return keyId;
}

/**
 * Whether two keys are the same key, in whatever encoding each was given
 * (an EC point compressed or not). Keys of different types are told apart
 * before KeyObject.equals is asked: for those, Node (24, OpenSSL 3.5)
 * answers false but leaves "different key types" on OpenSSL's error queue,
 * and the next createPrivateKey on the thread fails with it, so verifying
 * with an Ed25519 and a P-256 key made a later `--vsa-key` load fail.
 */
export function sameKey(a: KeyObject, b: KeyObject): boolean {
  if (a === b) return true;
  return a.asymmetricKeyType === b.asymmetricKeyType && a.equals(b);
}

/** The key's signature algorithm; throws KEY_UNSUPPORTED for a key Provenant does not sign or verify with. */
export function algorithmOf(key: KeyObject): KeyAlgorithm {
  let algorithm = algorithms.get(key);
  if (algorithm === undefined) {
    algorithm = readAlgorithm(key);
    algorithms.set(key, algorithm);
  }
  return algorithm;
}

function readAlgorithm(key: KeyObject): KeyAlgorithm {
  switch (key.asymmetricKeyType) {
    case "ec": {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve === "prime256v1" || curve === "P-256") return "ecdsa-p256";
      if (curve === "secp384r1" || curve === "P-384") return "ecdsa-p384";
      throw new ProvenantError(
        "KEY_UNSUPPORTED",
        `EC key on curve ${curve ?? "unknown"}; expected P-256 or P-384`,
      );
    }
    case "ed25519":
      return "ed25519";
    case "rsa": {
      const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
      if (bits < 2048) {
        throw new ProvenantError(
          "KEY_UNSUPPORTED",
          `RSA key of ${bits} bits; expected at least 2048`,
        );
      }
      return "rsa";
    }
    default:
      throw new ProvenantError(
        "KEY_UNSUPPORTED",
        `key type ${key.asymmetricKeyType ?? "unknown"}; expected ECDSA P-256/P-384, Ed25519 or RSA`,
      );
  }
}

// P-384 pairs with SHA-384 (as in Sigstore's ECDSA_P384_SHA_384); everything
// else uses SHA-256. Ed25519 hashes internally, so Node takes `null`.
function digestFor(algorithm: KeyAlgorithm): string | null {
  if (algorithm === "ed25519") return null;
  return algorithm === "ecdsa-p384" ? "sha384" : "sha256";
}

export function signBytes(
  privateKey: KeyObject,
  data: Uint8Array,
  rsaPadding: RsaPadding = "pkcs1",
): Buffer {
  const algorithm = algorithmOf(privateKey);
  if (algorithm === "rsa") {
    return nodeSign("sha256", data, {
      key: privateKey,
      padding: rsaPadding === "pss" ? constants.RSA_PKCS1_PSS_PADDING : constants.RSA_PKCS1_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
    });
  }
  return nodeSign(digestFor(algorithm), data, { key: privateKey, dsaEncoding: "der" });
}

/**
 * Verifies one signature. RSA signatures are accepted in PKCS#1 v1.5 or PSS
 * form (both with SHA-256): the envelope does not say which was used, and
 * both are sound. ECDSA signatures are ASN.1 DER, as DSSE and Sigstore use.
 */
export function verifyBytes(publicKey: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  let algorithm: KeyAlgorithm;
  try {
    algorithm = algorithmOf(publicKey);
  } catch {
    return false;
  }
  try {
    if (algorithm === "rsa") {
      return (
        nodeVerify("sha256", data, { key: publicKey, padding: constants.RSA_PKCS1_PADDING }, signature) ||
        nodeVerify(
          "sha256",
          data,
          {
            key: publicKey,
            padding: constants.RSA_PKCS1_PSS_PADDING,
            saltLength: constants.RSA_PSS_SALTLEN_AUTO,
          },
          signature,
        )
      );
    }
    // The KeyObject itself, not `{ key, dsaEncoding: "der" }`: DER is Node's
    // default for ECDSA, and the options object costs Node about 1 µs of
    // preparation on every call (issue 14: in-process verify against
    // @sigstore/verify, which passes the key as is).
    return nodeVerify(digestFor(algorithm), data, publicKey, signature);
  } catch {
    // OpenSSL throws on garbage signatures of the wrong shape: that is a
    // failed verification, not a crash.
    return false;
  }
}
