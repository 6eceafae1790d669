import type { KeyObject } from "node:crypto";
import { ProvenantError } from "@provenant/core";
import { verifyCheckpoint } from "./checkpoint.js";
import { bytesEqual, emptyRoot, HASH_SIZE, leafHash, nodeHash, subtreeRoot } from "./hash.js";
import { MemoryTileStore } from "./testing.js";
import { decodeEntryBundle, TILE_WIDTH, tilePath } from "./tiles.js";
import { integrate, rootAt } from "./tree.js";

export interface SeenCheckpoint {
  size: number;
  rootHash: Uint8Array;
}

/**
 * What an auditor keeps of a tree it verified, to find where a later rewrite
 * starts: the hash of every full 256-leaf tile (its Merkle level-8 node) and
 * the leaf hashes of the partial last tile, about n/8 bytes for n entries.
 */
export interface AuditFingerprint {
  size: number;
  tileRoots: Uint8Array[];
  edge: Uint8Array[];
}

export interface AuditInput {
  /** Fetches a path of the log ("checkpoint", "tile/0/x001/234", …); undefined when it is not served. */
  fetchBytes(path: string): Promise<Uint8Array | undefined>;
  trusted: { origin: string; publicKey: KeyObject };
  /** The last checkpoint this auditor verified. */
  previous?: SeenCheckpoint;
  /** The fingerprint returned with `previous`, to narrow down where a rewritten log first differs. */
  previousFingerprint?: AuditFingerprint;
  /** Older checkpoints it verified, to narrow down where a rewritten log first differs. */
  seen?: readonly SeenCheckpoint[];
  /** Also fetch the entry bundles and check that each entry hashes to its leaf. */
  checkEntries?: boolean;
  /** The largest tree the auditor will download (every leaf hash is held in memory, 32 bytes each); default 2^25. */
  maxSize?: number;
}

export interface AuditResult {
  size: number;
  rootHash: Uint8Array;
  checkpoint: string;
  /** False when the log no longer reproduces a checkpoint it signed before. */
  consistent: boolean;
  /**
   * For an inconsistent log: the smallest tree size among the checkpoints the
   * auditor had seen whose root the log no longer reproduces (the rewrite
   * touched an entry below it, at or above `lastMatchingSize`).
   */
  firstDifferingSize?: number;
  lastMatchingSize?: number;
  /** This tree's fingerprint, to keep beside the checkpoint for the next audit. */
  fingerprint: AuditFingerprint;
}

const MAX_CHECKPOINT_BYTES = 64 * 1024;
const DEFAULT_MAX_SIZE = 2 ** 25;
// Tiles are fetched a few at a time: enough to hide latency, few enough for a small server.
const CONCURRENT_FETCHES = 8;

async function fetchTile(input: AuditInput, level: number | "entries", index: number, width: number): Promise<Uint8Array> {
  const path = tilePath(level, index, width);
  const data = await input.fetchBytes(path);
  if (!data) throw new ProvenantError("LOG_TILE_MISSING", `the log does not serve ${path}`);
  if (level !== "entries" && data.length !== width * HASH_SIZE) {
    throw new ProvenantError("MALFORMED_LOG_DATA", `${path} is ${data.length} bytes; expected ${width * HASH_SIZE}`);
  }
  return data;
}

async function inBatches<T>(count: number, work: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let start = 0; start < count; start += CONCURRENT_FETCHES) {
    const batch = Array.from({ length: Math.min(CONCURRENT_FETCHES, count - start) }, (_, j) => work(start + j));
    out.push(...(await Promise.all(batch)));
  }
  return out;
}

/**
 * An auditor's check of a whole log, as a tlog-tiles client sees it: verify
 * the checkpoint signature, fetch every leaf-hash tile, recompute the tree
 * and its root, compare every higher tile the log serves with the recomputed
 * one, and check that earlier checkpoints are still reproduced (consistency).
 */
export async function auditLog(input: AuditInput): Promise<AuditResult> {
  const raw = await input.fetchBytes("checkpoint");
  if (!raw) throw new ProvenantError("LOG_TILE_MISSING", "the log serves no checkpoint");
  if (raw.length > MAX_CHECKPOINT_BYTES) {
    throw new ProvenantError("CHECKPOINT_INVALID", `checkpoint of ${raw.length} bytes; expected at most ${MAX_CHECKPOINT_BYTES}`);
  }
  const checkpoint = new TextDecoder("utf-8", { fatal: false }).decode(raw);
  const { size, rootHash } = verifyCheckpoint(checkpoint, input.trusted);
  const maxSize = input.maxSize ?? DEFAULT_MAX_SIZE;
  if (size > maxSize) {
    throw new ProvenantError("USAGE", `the log holds ${size} entries, more than this audit's limit of ${maxSize}; raise maxSize`);
  }

  const fullTiles = Math.floor(size / TILE_WIDTH);
  const lastWidth = size % TILE_WIDTH;
  const tileCount = fullTiles + (lastWidth > 0 ? 1 : 0);
  const widthOf = (index: number) => (index < fullTiles ? TILE_WIDTH : lastWidth);
  const leafTiles = await inBatches(tileCount, (i) => fetchTile(input, 0, i, widthOf(i)));

  if (input.checkEntries) {
    await inBatches(tileCount, async (i) => {
      const entries = decodeEntryBundle(await fetchTile(input, "entries", i, widthOf(i)));
      if (entries.length !== widthOf(i)) {
        throw new ProvenantError("LOG_INCONSISTENT", `entry bundle ${i} holds ${entries.length} entries; expected ${widthOf(i)}`);
      }
      entries.forEach((entry, j) => {
        if (!bytesEqual(leafHash(entry), leafTiles[i]!.subarray(j * HASH_SIZE, (j + 1) * HASH_SIZE))) {
          throw new ProvenantError("LOG_INCONSISTENT", `entry ${i * TILE_WIDTH + j} does not hash to its leaf in tile 0/${i}`);
        }
      });
    });
  }

  // Recompute the tree from the leaf hashes alone.
  const store = new MemoryTileStore();
  let built = 0;
  for (const tile of leafTiles) {
    const hashes = Array.from({ length: tile.length / HASH_SIZE }, (_, j) => tile.subarray(j * HASH_SIZE, (j + 1) * HASH_SIZE));
    const result = await integrate(built, hashes, store);
    store.write(result.tiles);
    built = result.size;
  }
  const recomputed = await rootAt(size, store);
  if (!bytesEqual(recomputed, rootHash)) {
    throw new ProvenantError("LOG_INCONSISTENT", `the log's tiles do not reproduce the root of its signed checkpoint (size ${size})`);
  }
  // Proofs are read from the higher tiles: they must match what the leaves give.
  const higher = [...store.tiles.values()].filter((tile) => tile.level > 0);
  await inBatches(higher.length, async (i) => {
    const tile = higher[i]!;
    const served = await fetchTile(input, tile.level, tile.index, tile.width);
    if (!bytesEqual(served, tile.data)) {
      throw new ProvenantError("LOG_INCONSISTENT", `${tilePath(tile.level, tile.index, tile.width)} differs from the hashes of the tiles below it`);
    }
  });

  const fingerprint = await fingerprintOf(size, store, leafTiles);
  const known = [...(input.previous ? [input.previous] : []), ...(input.seen ?? [])].sort((a, b) => a.size - b.size);
  let firstDifferingSize: number | undefined;
  let lastMatchingSize: number | undefined;
  for (const cp of known) {
    const same = cp.size <= size && bytesEqual(await rootAt(cp.size, store), cp.rootHash);
    if (same) {
      if (firstDifferingSize === undefined) lastMatchingSize = cp.size;
    } else if (firstDifferingSize === undefined) {
      firstDifferingSize = cp.size;
    }
  }
  if (firstDifferingSize === undefined) return { size, rootHash, checkpoint, consistent: true, fingerprint };
  const narrowed = narrow(input.previous, input.previousFingerprint, fingerprint, leafTiles, size);
  if (narrowed) {
    firstDifferingSize = Math.min(firstDifferingSize, narrowed.firstDifferingSize);
    lastMatchingSize = Math.max(lastMatchingSize ?? 0, narrowed.lastMatchingSize);
  }
  return {
    size,
    rootHash,
    checkpoint,
    consistent: false,
    firstDifferingSize,
    ...(lastMatchingSize === undefined ? {} : { lastMatchingSize }),
    fingerprint,
  };
}

async function fingerprintOf(size: number, store: MemoryTileStore, leafTiles: Uint8Array[]): Promise<AuditFingerprint> {
  const fullTiles = Math.floor(size / TILE_WIDTH);
  const tileRoots: Uint8Array[] = [];
  // The level-8 nodes are the stored row of level-1 tiles, already computed.
  for (let k = 0; k * TILE_WIDTH < fullTiles; k++) {
    const width = Math.min(TILE_WIDTH, fullTiles - k * TILE_WIDTH);
    const data = (await store.readTile(1, k, width))!;
    for (let j = 0; j < width; j++) tileRoots.push(data.slice(j * HASH_SIZE, (j + 1) * HASH_SIZE));
  }
  const last = size % TILE_WIDTH === 0 ? undefined : leafTiles[fullTiles];
  const edge = last ? Array.from({ length: size % TILE_WIDTH }, (_, j) => last.slice(j * HASH_SIZE, (j + 1) * HASH_SIZE)) : [];
  return { size, tileRoots, edge };
}

/** Splits `count` hashes (in one row) into the complete subtrees of a tree of that size, largest first. */
function decomposition(row: Uint8Array, count: number): Uint8Array[] {
  const nodes: Uint8Array[] = [];
  let start = 0;
  for (let bit = Math.floor(Math.log2(Math.max(count, 1))) + 1; bit >= 0; bit--) {
    const span = 2 ** bit;
    if (Math.floor(count / span) % 2 === 1) {
      nodes.push(subtreeRoot(row, start, span));
      start += span;
    }
  }
  return nodes;
}

/** The root of the tree a fingerprint describes (RFC 6962: the right fold of its complete subtrees). */
export function fingerprintRoot(fp: AuditFingerprint): Uint8Array {
  const concat = (hashes: Uint8Array[]) => {
    const row = new Uint8Array(hashes.length * HASH_SIZE);
    for (const [i, h] of hashes.entries()) row.set(h, i * HASH_SIZE);
    return row;
  };
  const nodes = [...decomposition(concat(fp.tileRoots), fp.tileRoots.length), ...decomposition(concat(fp.edge), fp.edge.length)];
  if (nodes.length === 0) return emptyRoot();
  return nodes.reduceRight((acc, node) => nodeHash(node, acc));
}

/**
 * With the previous tree's fingerprint (checked against its signed root), the
 * rewrite is found to the 256-entry tile, or to the entry in the last tile:
 * lastMatchingSize is the largest size whose tree still matches and
 * firstDifferingSize the smallest known to differ.
 */
function narrow(
  previous: SeenCheckpoint | undefined,
  old: AuditFingerprint | undefined,
  current: AuditFingerprint,
  leafTiles: Uint8Array[],
  size: number,
): { firstDifferingSize: number; lastMatchingSize: number } | undefined {
  if (!previous || !old || old.size !== previous.size) return undefined;
  if (old.tileRoots.length * TILE_WIDTH + old.edge.length !== old.size || old.edge.length >= TILE_WIDTH) return undefined;
  if (!bytesEqual(fingerprintRoot(old), previous.rootHash)) return undefined;
  for (let t = 0; t < old.tileRoots.length; t++) {
    const now = current.tileRoots[t];
    if (!now || !bytesEqual(now, old.tileRoots[t]!)) {
      const end = Math.min((t + 1) * TILE_WIDTH, size + 1);
      return { lastMatchingSize: t * TILE_WIDTH, firstDifferingSize: end };
    }
  }
  const base = old.tileRoots.length * TILE_WIDTH;
  for (let j = 0; j < old.edge.length; j++) {
    const i = base + j;
    const tile = leafTiles[Math.floor(i / TILE_WIDTH)];
    const leaf = i < size && tile ? tile.subarray(j * HASH_SIZE, (j + 1) * HASH_SIZE) : undefined;
    if (!leaf || !bytesEqual(leaf, old.edge[j]!)) return { lastMatchingSize: i, firstDifferingSize: i + 1 };
  }
  return undefined;
}
