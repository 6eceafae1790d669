import type { KeyObject } from "node:crypto";
import { ProvenantError } from "../error.js";
import { keyIdOf, verifyBytes } from "../keys/algorithms.js";
import { type Envelope, EnvelopeSchema, IN_TOTO_PAYLOAD_TYPE } from "../schemas/dsse.js";
import { parseWith } from "../schemas/parse.js";
import { decodeBase64, encodeBase64 } from "./base64.js";
import { preAuthEncoding } from "./pae.js";
import type { Signer } from "./signer.js";

/** Signs a payload into a DSSE envelope, one signature per signer. */
export async function signEnvelope(
  payload: Uint8Array,
  signers: readonly Signer[],
  payloadType = IN_TOTO_PAYLOAD_TYPE,
): Promise<Envelope> {
  if (signers.length === 0) throw new ProvenantError("USAGE", "signEnvelope: expected at least one signer");
  const pae = preAuthEncoding(payloadType, payload);
  const signatures = [];
  for (const signer of signers) {
    signatures.push({ keyid: signer.keyId, sig: encodeBase64(await signer.sign(pae)) });
  }
  return { payload: encodeBase64(payload), payloadType, signatures };
}

export function parseEnvelope(value: unknown): Envelope {
  return parseWith(EnvelopeSchema, value, "MALFORMED_ENVELOPE", "DSSE envelope");
}

export interface TrustedKey {
  /** Lowercase hex SHA-256 of the DER SPKI; computed when omitted. */
  keyId?: string;
  publicKey: KeyObject;
}

export interface EnvelopeVerification {
  /** Key ids of the distinct trusted keys with a valid signature. */
  signedBy: string[];
  /** Signatures that named a key id we do not trust. */
  untrustedKeyIds: string[];
  /** Trusted key ids named by a signature that did not verify (ignored beside a good one; reported). */
  badSignatureKeyIds?: string[];
  payload: Buffer;
}

/**
 * Verifies the envelope's signatures against the trusted keys and requires
 * `threshold` distinct trusted keys to have signed. A signature that names a
 * keyid is checked only against that key; one without a keyid is tried
 * against every trusted key. Throws a coded error on failure.
 */
export function verifyEnvelope(
  envelope: Envelope,
  trustedKeys: readonly TrustedKey[],
  threshold = 1,
): EnvelopeVerification {
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw new ProvenantError(
      "WRONG_PAYLOAD_TYPE",
      `DSSE envelope: payloadType is "${envelope.payloadType}"; expected "${IN_TOTO_PAYLOAD_TYPE}"`,
    );
  }
  const payload = decodeBase64(envelope.payload, "DSSE envelope payload");
  const signatures = envelope.signatures.map((s, i) => ({
    keyid: s.keyid ?? "",
    bytes: decodeBase64(s.sig, `DSSE envelope signatures[${i}].sig`),
  }));
  // One key given twice — or in two encodings (an EC point compressed and
  // not has two DER forms, so two key ids) — is one signer: it answers to
  // both ids but counts once toward the threshold, under its first id.
  const keys: { keyId: string; aliases: Set<string>; publicKey: KeyObject }[] = [];
  for (const trusted of trustedKeys) {
    const keyId = trusted.keyId ?? keyIdOf(trusted.publicKey);
    const same = keys.find((k) => k.publicKey.equals(trusted.publicKey));
    if (same) same.aliases.add(keyId);
    else keys.push({ keyId, aliases: new Set([keyId]), publicKey: trusted.publicKey });
  }
  const pae = preAuthEncoding(envelope.payloadType, payload);

  const signedBy = new Set<string>();
  const untrustedKeyIds: string[] = [];
  let badSignature = false;
  const badSignatureKeyIds: string[] = [];
  let anonymousUnmatched = false;
  for (const signature of signatures) {
    const candidates = signature.keyid ? keys.filter((k) => k.aliases.has(signature.keyid)) : keys;
    if (signature.keyid && candidates.length === 0) untrustedKeyIds.push(signature.keyid);
    const match = candidates.find((k) => verifyBytes(k.publicKey, pae, signature.bytes));
    if (match) signedBy.add(match.keyId);
    // A signature that names a trusted key but does not verify was altered;
    // one that names no key and matches none was made by some other key.
    else if (signature.keyid && candidates.length > 0) {
      badSignature = true;
      badSignatureKeyIds.push(signature.keyid);
    }
    else if (!signature.keyid) anonymousUnmatched = true;
  }

  if (signedBy.size >= Math.max(1, threshold)) {
    return { signedBy: [...signedBy], untrustedKeyIds, badSignatureKeyIds, payload };
  }
  if (signedBy.size > 0) {
    throw new ProvenantError(
      "SIGNATURE_THRESHOLD",
      `${signedBy.size} trusted key(s) signed; the threshold is ${threshold}`,
    );
  }
  if (badSignature) {
    throw new ProvenantError(
      "SIGNATURE_INVALID",
      "the envelope's signature does not verify with the trusted key it names; the payload or signature was altered or signed by another key",
    );
  }
  const named =
    untrustedKeyIds.length > 0
      ? ` (signed by key ${untrustedKeyIds.join(", ")})`
      : anonymousUnmatched
        ? " (the signature names no key id and no trusted key verifies it)"
        : "";
  throw new ProvenantError(
    "UNTRUSTED_KEY",
    `no signature from a trusted key${named}; expected one of ${keys.map((k) => k.keyId).join(", ") || "(no trusted keys given)"}`,
  );
}
