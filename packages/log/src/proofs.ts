import { bytesEqual, emptyRoot, HASH_SIZE, nodeHash } from "./hash.js";

/*
 * Proof verification as in RFC 9162 sections 2.1.3.2 and 2.1.4.2 (the same
 * proofs as RFC 6962). Sizes are JavaScript numbers: halving uses
 * Math.floor(x / 2) so that trees beyond 2^32 leaves work.
 */

const isOdd = (n: number): boolean => n % 2 === 1;
const half = (n: number): number => Math.floor(n / 2);

function wellFormed(proof: readonly Uint8Array[], ...hashes: Uint8Array[]): boolean {
  return proof.length <= 64 && [...proof, ...hashes].every((hash) => hash.length === HASH_SIZE);
}

/** True when `proof` shows that `leaf` (the leaf hash) sits at `index` of the tree of `treeSize` with `root`. */
export function verifyInclusion(
  leaf: Uint8Array,
  index: number,
  treeSize: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(treeSize) || index < 0 || index >= treeSize) return false;
  if (!wellFormed(proof, leaf, root)) return false;
  let fn = index;
  let sn = treeSize - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && bytesEqual(r, root);
}

/** True when `proof` shows that the tree of `toSize` with `toRoot` extends the tree of `fromSize` with `fromRoot`. */
export function verifyConsistency(
  fromSize: number,
  toSize: number,
  fromRoot: Uint8Array,
  toRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!Number.isSafeInteger(fromSize) || !Number.isSafeInteger(toSize) || fromSize < 0 || fromSize > toSize) {
    return false;
  }
  if (!wellFormed(proof, fromRoot, toRoot)) return false;
  // Every tree extends the empty tree; its root is fixed by RFC 6962.
  if (fromSize === 0) return proof.length === 0 && bytesEqual(fromRoot, emptyRoot());
  if (fromSize === toSize) return proof.length === 0 && bytesEqual(fromRoot, toRoot);
  if (proof.length === 0) return false;
  const path = Number.isInteger(Math.log2(fromSize)) ? [fromRoot, ...proof] : [...proof];
  let fn = fromSize - 1;
  let sn = toSize - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && bytesEqual(fr, fromRoot) && bytesEqual(sr, toRoot);
}
