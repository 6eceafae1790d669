import { ProvenantError } from "../error.js";

const STANDARD_ALPHABET = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Strict base64 decoding. Node's decoder silently skips bad characters and
 * ignores truncation, so a signature or payload that was cut short or
 * re-encoded non-canonically would decode to *something*. We require the
 * canonical padded standard alphabet (RFC 4648 §4), which is what the
 * protobuf JSON mapping of Sigstore bundles and DSSE implementations emit.
 */
export function decodeBase64(text: string, what: string): Buffer {
  if (text.length % 4 !== 0 || !STANDARD_ALPHABET.test(text)) {
    throw new ProvenantError(
      "INVALID_BASE64",
      `${what}: not valid base64 (length ${text.length}); expected padded standard base64 (RFC 4648 §4)`,
    );
  }
  const bytes = Buffer.from(text, "base64");
  if (bytes.toString("base64") !== text) {
    throw new ProvenantError(
      "INVALID_BASE64",
      `${what}: non-canonical base64 (unused bits set); expected canonical padded standard base64`,
    );
  }
  return bytes;
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64");
}
