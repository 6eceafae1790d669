import { createHash, hash, timingSafeEqual } from "node:crypto";

export const HASH_SIZE = 32;

/** RFC 6962 section 2.1: MTH({d0}) = SHA-256(0x00 || d0). */
export function leafHash(entry: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + entry.length);
  input.set(entry, 1);
  return sha256(input);
}

/** RFC 6962 section 2.1: an interior node is SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + 2 * HASH_SIZE);
  input[0] = 0x01;
  input.set(left, 1);
  input.set(right, 1 + HASH_SIZE);
  return sha256(input);
}

// crypto.hash (one-shot) costs a fraction of createHash().update().digest()
// for 65-byte inputs, which is what proofs spend their time on.
function sha256(data: Uint8Array): Uint8Array {
  // Copied out of the Buffer: its ArrayBuffer may be Node's shared pool, and
  // callers may hand `.buffer` to a database driver.
  return new Uint8Array(hash("sha256", data, "buffer"));
}

/**
 * The root of `count` consecutive hashes (a power of two) of `row`, starting
 * at hash `first`: the node log2(count) levels above them. Hashes in place in
 * one scratch copy instead of allocating a node per pair.
 */
export function subtreeRoot(row: Uint8Array, first: number, count: number): Uint8Array {
  // new Uint8Array(view) copies; Buffer#slice would not, and `row` may be a
  // Buffer owned by the tile store, which the in-place hashing must not touch.
  if (count === 1) return new Uint8Array(row.subarray(first * HASH_SIZE, (first + 1) * HASH_SIZE));
  const work = new Uint8Array(row.subarray(first * HASH_SIZE, (first + count) * HASH_SIZE));
  const input = new Uint8Array(1 + 2 * HASH_SIZE);
  input[0] = 0x01;
  for (let n = count; n > 1; n /= 2) {
    for (let i = 0; i < n / 2; i++) {
      input.set(work.subarray(2 * i * HASH_SIZE, (2 * i + 2) * HASH_SIZE), 1);
      work.set(hash("sha256", input, "buffer"), i * HASH_SIZE);
    }
  }
  return work.subarray(0, HASH_SIZE);
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
