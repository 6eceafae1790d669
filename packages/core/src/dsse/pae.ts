import { decodeBase64Into, decodedBase64Length } from "./base64.js";

/**
 * DSSE Pre-Authentication Encoding (DSSE v1 protocol.md):
 * "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths as ASCII decimal
 * byte counts. Signatures cover this, never the bare payload.
 */
export function preAuthEncoding(payloadType: string, payload: Uint8Array): Buffer {
  const prefix = `DSSEv1 ${Buffer.byteLength(payloadType, "utf8")} ${payloadType} ${payload.length} `;
  // One buffer, written in place: this runs on every verification.
  const prefixLength = Buffer.byteLength(prefix, "utf8");
  const pae = Buffer.allocUnsafe(prefixLength + payload.length);
  pae.write(prefix, 0, "utf8");
  pae.set(payload, prefixLength);
  return pae;
}

/**
 * The pre-authentication encoding of a base64 payload as it stands in an
 * envelope, decoded (strictly, as decodeBase64) straight into its place:
 * `payload` is a view of `pae`. Verification needs both, and decoding the
 * payload to a buffer of its own and copying it again cost an allocation
 * and a copy of the whole payload (issue 14).
 */
export function preAuthEncodingOfBase64(payloadType: string, base64: string, what: string): { pae: Buffer; payload: Buffer } {
  const length = decodedBase64Length(base64, what);
  const prefix = `DSSEv1 ${Buffer.byteLength(payloadType, "utf8")} ${payloadType} ${length} `;
  const prefixLength = Buffer.byteLength(prefix, "utf8");
  const pae = Buffer.allocUnsafe(prefixLength + length);
  pae.write(prefix, 0, "utf8");
  decodeBase64Into(base64, pae, prefixLength, what);
  return { pae, payload: pae.subarray(prefixLength) };
}
