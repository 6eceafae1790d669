/**
 * DSSE Pre-Authentication Encoding (DSSE v1 protocol.md):
 * "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths as ASCII decimal
 * byte counts. Signatures cover this, never the bare payload.
 */
export function preAuthEncoding(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, "utf8");
  const prefix = Buffer.from(`DSSEv1 ${type.length} ${payloadType} ${payload.length} `, "utf8");
  return Buffer.concat([prefix, payload]);
}
