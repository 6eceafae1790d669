import { createHash, timingSafeEqual } from "node:crypto";

export const HASH_SIZE = 32;

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

/** RFC 6962 section 2.1: MTH({d0}) = SHA-256(0x00 || d0). */
export function leafHash(entry: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(LEAF_PREFIX).update(entry).digest());
}

/** RFC 6962 section 2.1: an interior node is SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(NODE_PREFIX).update(left).update(right).digest());
}

/** RFC 6962 section 2.1: the hash of an empty tree is SHA-256 of the empty string. */
export function emptyRoot(): Uint8Array {
  return new Uint8Array(createHash("sha256").digest());
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}
