import { ProvenantError } from "../error.js";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/**
 * Strict base64 decoding. Node's decoder silently skips bad characters and
 * ignores truncation, so a signature or payload that was cut short or
 * re-encoded non-canonically would decode to *something*. We require the
 * canonical padded standard alphabet (RFC 4648 §4), which is what the
 * protobuf JSON mapping of Sigstore bundles and DSSE implementations emit.
 *
 * Written by hand for speed on large payloads (a 100,000-subject statement):
 * instead of a regex over the text and a re-encode to compare, it decodes
 * once and checks what Node's lenient decoder would hide. Node skips
 * characters outside the alphabet and stops at `=`, so any such character
 * makes the output shorter than the length the text implies; the only
 * non-standard characters it decodes instead of skipping are base64url's `-`
 * and `_`, refused up front; and canonical form (RFC 4648 §3.5: pad bits
 * zero) is a property of the last quantum alone.
 */
export function decodeBase64(text: string, what: string): Buffer {
  const length = decodedBase64Length(text, what);
  const bytes = Buffer.from(text, "base64");
  if (bytes.length !== length) throw invalid(text, what);
  checkUnusedBits(text, what);
  return bytes;
}

/**
 * decodeBase64 into `target` at `offset`, which must have room for
 * decodedBase64Length(text) bytes: the DSSE pre-authentication encoding is
 * built around the payload in one buffer, with no second copy of it.
 */
export function decodeBase64Into(text: string, target: Buffer, offset: number, what: string): void {
  const length = decodedBase64Length(text, what);
  // The same test as decodeBase64's: Node skips what it cannot decode, so bad text writes fewer bytes.
  if (target.write(text, offset, length, "base64") !== length) throw invalid(text, what);
  checkUnusedBits(text, what);
}

/** The length canonical padded base64 `text` decodes to; INVALID_BASE64 when its shape already rules that out. */
export function decodedBase64Length(text: string, what: string): number {
  if (text.length % 4 !== 0 || text.includes("-") || text.includes("_")) throw invalid(text, what);
  const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  return (text.length / 4) * 3 - padding;
}

function checkUnusedBits(text: string, what: string): void {
  const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  if (padding === 0) return;
  // The character before the padding carries bits that must be zero: the
  // low 4 of "xx==" or the low 2 of "xxx=".
  const last = ALPHABET.indexOf(text[text.length - padding - 1]!);
  const unused = padding === 2 ? 0b1111 : 0b11;
  if ((last & unused) !== 0) {
    throw new ProvenantError(
      "INVALID_BASE64",
      `${what}: non-canonical base64 (unused bits set); expected canonical padded standard base64`,
    );
  }
}

function invalid(text: string, what: string): ProvenantError {
  return new ProvenantError(
    "INVALID_BASE64",
    `${what}: not valid base64 (length ${text.length}); expected padded standard base64 (RFC 4648 §4)`,
  );
}

export function encodeBase64(bytes: Uint8Array): string {
  // A view, not Buffer.from(bytes), which copies: a release's payload is 11 MB.
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}
