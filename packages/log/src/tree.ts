import { ProvenantError } from "@provenant/core";
import { emptyRoot, HASH_SIZE, nodeHash, subtreeRoot } from "./hash.js";
import { type Tile, TILE_HEIGHT, TILE_WIDTH, type TileReader } from "./tiles.js";

/*
 * The Merkle tree of RFC 6962 stored as C2SP tlog-tiles. Only the bottom row
 * of each tile is stored (level-L tiles hold Merkle level 8·L); any complete
 * node is recomputed from at most 128 hashes of one tile. Sizes and indices
 * are JavaScript numbers, so arithmetic uses division rather than 32-bit
 * bit operations.
 */

const pow2 = (exponent: number): number => 2 ** exponent;
const TILE_SPAN = TILE_WIDTH; // nodes of level 8·L per tile

function checkSize(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ProvenantError("USAGE", `${name} ${value}: expected a non-negative integer`);
  }
}

/** How many complete nodes of Merkle level `level` a tree of `size` leaves has. */
function nodesAt(level: number, size: number): number {
  return Math.floor(size / pow2(level));
}

/** Width of tile (tileLevel, index) in a tree of `size` leaves (0 when it does not exist yet). */
function tileWidth(tileLevel: number, index: number, size: number): number {
  const stored = nodesAt(TILE_HEIGHT * tileLevel, size);
  return Math.max(0, Math.min(TILE_WIDTH, stored - index * TILE_SPAN));
}

/** Reads tiles for one tree size, each at most once per call. */
class TreeView {
  private readonly cache = new Map<string, Uint8Array>();

  constructor(
    readonly size: number,
    private readonly reader: TileReader,
  ) {}

  private async tile(tileLevel: number, index: number): Promise<Uint8Array> {
    const width = tileWidth(tileLevel, index, this.size);
    const key = `${tileLevel}/${index}/${width}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const data = await this.reader.readTile(tileLevel, index, width);
    if (!data) {
      throw new ProvenantError(
        "LOG_TILE_MISSING",
        `tile ${tileLevel}/${index} (width ${width}) is not stored; a tree of ${this.size} leaves needs it`,
      );
    }
    if (data.length < width * HASH_SIZE) {
      throw new ProvenantError(
        "MALFORMED_LOG_DATA",
        `tile ${tileLevel}/${index} holds ${data.length} bytes; expected ${width * HASH_SIZE} for width ${width}`,
      );
    }
    this.cache.set(key, data);
    return data;
  }

  /** Hash of the complete node at Merkle `level`, position `index`. */
  async node(level: number, index: number): Promise<Uint8Array> {
    const tileLevel = Math.floor(level / TILE_HEIGHT);
    const above = level - tileLevel * TILE_HEIGHT;
    const first = index * pow2(above); // first stored hash under this node
    const tileIndex = Math.floor(first / TILE_SPAN);
    const data = await this.tile(tileLevel, tileIndex);
    return subtreeRoot(data, first - tileIndex * TILE_SPAN, pow2(above));
  }

  /**
   * MTH(D[lo:hi]) of RFC 6962 for a range that starts on a boundary of the
   * largest power of two below its length (every range the proofs visit does).
   */
  async range(lo: number, hi: number): Promise<Uint8Array> {
    const n = hi - lo;
    const level = Math.log2(n);
    if (Number.isInteger(level)) return this.node(level, lo / n);
    const k = largestPowerOfTwoBelow(n);
    return nodeHash(await this.range(lo, lo + k), await this.range(lo + k, hi));
  }
}

/** The largest power of two strictly less than n (n > 1), as in RFC 6962 section 2.1. */
function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Root hash of the tree of `size` leaves. */
export async function rootAt(size: number, reader: TileReader): Promise<Uint8Array> {
  checkSize("tree size", size);
  if (size === 0) return emptyRoot();
  return new TreeView(size, reader).range(0, size);
}

/** RFC 6962 section 2.1.1 PATH(m, D[n]), read from tiles. */
export async function inclusionProof(index: number, treeSize: number, reader: TileReader): Promise<Uint8Array[]> {
  checkSize("leaf index", index);
  checkSize("tree size", treeSize);
  if (index >= treeSize) {
    throw new ProvenantError("USAGE", `leaf index ${index} is outside a tree of ${treeSize} leaves`);
  }
  const view = new TreeView(treeSize, reader);
  const proof: Uint8Array[] = [];
  // Walk down from the root, collecting siblings; the proof lists them leaf first.
  let lo = 0;
  let hi = treeSize;
  while (hi - lo > 1) {
    const k = largestPowerOfTwoBelow(hi - lo);
    if (index < lo + k) {
      proof.push(await view.range(lo + k, hi));
      hi = lo + k;
    } else {
      proof.push(await view.range(lo, lo + k));
      lo += k;
    }
  }
  return proof.reverse();
}

/** RFC 6962 section 2.1.2 PROOF(m, D[n]), read from tiles. Empty when m is 0 or m equals n. */
export async function consistencyProof(fromSize: number, toSize: number, reader: TileReader): Promise<Uint8Array[]> {
  checkSize("old tree size", fromSize);
  checkSize("new tree size", toSize);
  if (fromSize > toSize) {
    throw new ProvenantError("USAGE", `consistency from ${fromSize} to ${toSize}: the old size must not exceed the new`);
  }
  if (fromSize === 0 || fromSize === toSize) return [];
  const view = new TreeView(toSize, reader);
  const proof: Uint8Array[] = [];
  // SUBPROOF(m, D[lo:hi], b) unrolled: it recurses into one half at a time.
  let lo = 0;
  let hi = toSize;
  let m = fromSize;
  let complete = true;
  while (m !== hi - lo) {
    const k = largestPowerOfTwoBelow(hi - lo);
    if (m <= k) {
      proof.push(await view.range(lo + k, hi));
      hi = lo + k;
    } else {
      proof.push(await view.range(lo, lo + k));
      lo += k;
      m -= k;
      complete = false;
    }
  }
  if (!complete) proof.push(await view.range(lo, hi));
  return proof.reverse();
}

/**
 * Appends leaf hashes to a tree of `fromSize` leaves. Reads only the right
 * edge (the partial tile of each level, at most one per level), and returns
 * every tile that changed, partial or full, plus the new root.
 */
export async function integrate(
  fromSize: number,
  leafHashes: readonly Uint8Array[],
  reader: TileReader,
): Promise<{ size: number; rootHash: Uint8Array; tiles: Tile[] }> {
  checkSize("tree size", fromSize);
  const toSize = fromSize + leafHashes.length;
  if (!Number.isSafeInteger(toSize)) {
    throw new ProvenantError("USAGE", `appending ${leafHashes.length} leaves to ${fromSize} overflows the tree size`);
  }
  for (const [i, hash] of leafHashes.entries()) {
    if (hash.length !== HASH_SIZE) {
      throw new ProvenantError("USAGE", `leaf hash ${i} is ${hash.length} bytes; expected 32`);
    }
  }
  const before = new TreeView(fromSize, reader);
  const changed = new Map<string, Tile>();
  // The hashes still to be placed at tile level L, starting at position `start` of that level.
  let pending: Uint8Array[] = [...leafHashes];
  let start = fromSize;
  for (let tileLevel = 0; pending.length > 0; tileLevel++) {
    const tileIndex = Math.floor(start / TILE_SPAN);
    const kept = start - tileIndex * TILE_SPAN; // hashes already in the first touched tile
    const row = new Uint8Array((kept + pending.length) * HASH_SIZE);
    if (kept > 0) {
      const level = tileLevel * TILE_HEIGHT;
      // Read the existing partial tile through a node read of its first `kept` hashes.
      const existing = await readRow(before, level, tileIndex * TILE_SPAN, kept);
      row.set(existing, 0);
    }
    for (const [i, hash] of pending.entries()) row.set(hash, (kept + i) * HASH_SIZE);
    const parents: Uint8Array[] = [];
    const count = kept + pending.length;
    for (let offset = 0; offset < count; offset += TILE_SPAN) {
      const width = Math.min(TILE_SPAN, count - offset);
      const index = tileIndex + offset / TILE_SPAN;
      const data = row.slice(offset * HASH_SIZE, (offset + width) * HASH_SIZE);
      changed.set(`${tileLevel}/${index}`, { level: tileLevel, index, width, data });
      if (width === TILE_SPAN) parents.push(subtreeOf(data));
    }
    // Full tiles that were already full before this call are never touched, so
    // the parents are exactly the new nodes of the next tile level, starting
    // where that level's stored row ended.
    pending = parents;
    start = nodesAt(TILE_HEIGHT * (tileLevel + 1), fromSize);
  }
  const tiles = [...changed.values()];
  const overlay: TileReader = {
    async readTile(level, index, width) {
      const tile = changed.get(`${level}/${index}`);
      if (tile && tile.width >= width) return tile.data.subarray(0, width * HASH_SIZE);
      return reader.readTile(level, index, width);
    },
  };
  return { size: toSize, rootHash: await rootAt(toSize, overlay), tiles };
}

/** `count` consecutive stored hashes of Merkle `level` starting at position `first`, as bytes. */
async function readRow(view: TreeView, level: number, first: number, count: number): Promise<Uint8Array> {
  const out = new Uint8Array(count * HASH_SIZE);
  for (let i = 0; i < count; i++) out.set(await view.node(level, first + i), i * HASH_SIZE);
  return out;
}

/** Root of the 256 hashes of a full tile: the node 8 levels above its row. */
function subtreeOf(data: Uint8Array): Uint8Array {
  return subtreeRoot(data, 0, TILE_SPAN);
}
