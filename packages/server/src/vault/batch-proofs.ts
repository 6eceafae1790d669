import { ProvenantError } from "@provenant/core";
import { TILE_HEIGHT, TILE_WIDTH, type TileReader, nodeHash } from "@provenant/log";

const HASH = 32;

/**
 * RFC 6962 §2.1.1 PATH(m, D[n]) for every entry of one integration at once.
 * Written here rather than calling @provenant/log's `inclusionProof` once per
 * entry because that recomputes every node from its tile row on each call
 * (several ms at the right edge), while the entries of one batch share almost
 * their whole path: one memo of node hashes serves the batch. The vault tests
 * check every returned bundle's proof with @provenant/log's verifier.
 */
export async function batchInclusionProofs(indices: readonly number[], size: number, reader: TileReader): Promise<Uint8Array[][]> {
  const tiles = new Map<string, Promise<Uint8Array>>();
  const tile = (tileLevel: number, index: number) => {
    const key = `${tileLevel}/${index}`;
    let data = tiles.get(key);
    if (!data) {
      const width = Math.min(TILE_WIDTH, Math.floor(size / TILE_WIDTH ** tileLevel) - index * TILE_WIDTH);
      data = reader.readTile(tileLevel, index, width).then((bytes) => {
        if (!bytes || bytes.length < width * HASH) {
          throw new ProvenantError("IO_ERROR", `log tile ${tileLevel}/${index} (width ${width}) is missing for a tree of ${size}`);
        }
        return bytes;
      });
      tiles.set(key, data);
    }
    return data;
  };
  const nodes = new Map<string, Promise<Uint8Array>>();
  /** Hash of the complete node at Merkle `level`, position `index`: stored when level is a tile row, else its two children. */
  const node = (level: number, index: number): Promise<Uint8Array> => {
    const key = `${level}/${index}`;
    let hash = nodes.get(key);
    if (!hash) {
      hash =
        level % TILE_HEIGHT === 0
          ? tile(level / TILE_HEIGHT, Math.floor(index / TILE_WIDTH)).then((data) => {
              const offset = (index % TILE_WIDTH) * HASH;
              return data.subarray(offset, offset + HASH);
            })
          : Promise.all([node(level - 1, 2 * index), node(level - 1, 2 * index + 1)]).then(([l, r]) => nodeHash(l, r));
      nodes.set(key, hash);
    }
    return hash;
  };
  /** MTH(D[lo:hi]) for the ranges PATH visits (each starts on a boundary of its largest power of two). */
  const range = async (lo: number, hi: number): Promise<Uint8Array> => {
    const n = hi - lo;
    const level = Math.log2(n);
    if (Number.isInteger(level)) return node(level, lo / n);
    let k = 1;
    while (k * 2 < n) k *= 2;
    return nodeHash(await range(lo, lo + k), await range(lo + k, hi));
  };
  const proofs: Uint8Array[][] = [];
  for (const index of indices) {
    const proof: Uint8Array[] = [];
    let lo = 0;
    let hi = size;
    while (hi - lo > 1) {
      let k = 1;
      while (k * 2 < hi - lo) k *= 2;
      if (index < lo + k) {
        proof.push(await range(lo + k, hi));
        hi = lo + k;
      } else {
        proof.push(await range(lo, lo + k));
        lo += k;
      }
    }
    proofs.push(proof.reverse());
  }
  return proofs;
}
