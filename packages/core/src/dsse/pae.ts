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
