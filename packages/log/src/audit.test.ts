import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { auditLog, fingerprintRoot } from "./audit.js";
import { type LogKey, signCheckpoint } from "./checkpoint.js";
import { leafHash } from "./hash.js";
import { MemoryTileStore } from "./testing.js";
import { encodeEntryBundle, parseTilePath, TILE_WIDTH } from "./tiles.js";
import { integrate } from "./tree.js";

const origin = "audit.example/log";
const log = generateKeyPairSync("ed25519");
const key: LogKey = { origin, privateKey: log.privateKey };
const trusted = { origin, publicKey: log.publicKey };

const entryOf = (i: number, version = 0) => new TextEncoder().encode(`entry ${i}${version ? ` v${version}` : ""}`);

/** A log served the way tlog-tiles clients read it, built in batches ending at `cuts`; returns its checkpoints. */
async function servedLog(entries: Uint8Array[], cuts: number[]) {
  const store = new MemoryTileStore();
  const checkpoints = new Map<number, { size: number; rootHash: Uint8Array }>();
  let size = 0;
  let note = "";
  for (const end of cuts) {
    const result = await integrate(size, entries.slice(size, end).map(leafHash), store);
    store.write(result.tiles);
    size = result.size;
    checkpoints.set(size, { size, rootHash: result.rootHash });
    note = signCheckpoint({ origin, size, rootHash: result.rootHash }, key);
  }
  const served = new Map<string, Uint8Array>();
  const fetchBytes = async (path: string): Promise<Uint8Array | undefined> => {
    if (served.has(path)) return served.get(path);
    if (path === "checkpoint") return new TextEncoder().encode(note);
    const tile = parseTilePath(path);
    if (!tile) return undefined;
    const width = tile.width ?? TILE_WIDTH;
    if (tile.level === "entries") return encodeEntryBundle(entries.slice(tile.index * TILE_WIDTH, tile.index * TILE_WIDTH + width));
    return store.readTile(tile.level, tile.index, width);
  };
  return { fetchBytes, checkpoints, served, store };
}

describe("auditLog", () => {
  it("recomputes the root from the tiles, checks the signature and consistency with the last checkpoint", async () => {
    const entries = Array.from({ length: 1300 }, (_, i) => entryOf(i));
    const { fetchBytes, checkpoints } = await servedLog(entries, [500, 1000, 1300]);
    const result = await auditLog({ fetchBytes, trusted, previous: checkpoints.get(1000)!, checkEntries: true });
    expect(result).toMatchObject({ size: 1300, consistent: true });
    expect(result.rootHash).toEqual(checkpoints.get(1300)!.rootHash);
    expect(result.firstDifferingSize).toBeUndefined();
  });

  it("reports a rewritten log as inconsistent, with the first differing checkpoint size", async () => {
    const entries = Array.from({ length: 1300 }, (_, i) => entryOf(i));
    const honest = await servedLog(entries, [500, 800, 1000]);
    // The operator rewrites entry 700 and re-signs a longer log with the same key.
    const rewritten = entries.map((e, i) => (i === 700 ? entryOf(i, 2) : e));
    const { fetchBytes } = await servedLog(rewritten, [1300]);
    const result = await auditLog({
      fetchBytes,
      trusted,
      previous: honest.checkpoints.get(1000)!,
      seen: [honest.checkpoints.get(500)!, honest.checkpoints.get(800)!],
    });
    expect(result).toMatchObject({ size: 1300, consistent: false, firstDifferingSize: 800, lastMatchingSize: 500 });
    const onlyLast = await auditLog({ fetchBytes, trusted, previous: honest.checkpoints.get(1000)! });
    expect(onlyLast).toMatchObject({ consistent: false, firstDifferingSize: 1000 });
  });

  it("narrows a rewrite down to its tile, or to the entry in the last tile, with the previous audit's fingerprint", async () => {
    const entries = Array.from({ length: 1300 }, (_, i) => entryOf(i));
    const honest = await servedLog(entries, [1000]);
    const first = await auditLog({ fetchBytes: honest.fetchBytes, trusted });
    expect(fingerprintRoot(first.fingerprint)).toEqual(first.rootHash);
    expect(first.fingerprint).toMatchObject({ size: 1000, tileRoots: { length: 3 }, edge: { length: 232 } });
    const previous = { size: 1000, rootHash: first.rootHash };
    for (const [rewrittenEntry, lastMatchingSize, firstDifferingSize] of [
      [700, 512, 768], // inside a full tile: narrowed to that tile
      [990, 990, 991], // inside the last, partial tile: exact
    ] as const) {
      const rewritten = entries.map((e, i) => (i === rewrittenEntry ? entryOf(i, 2) : e));
      const { fetchBytes } = await servedLog(rewritten, [1300]);
      expect(await auditLog({ fetchBytes, trusted, previous, previousFingerprint: first.fingerprint })).toMatchObject({
        consistent: false,
        lastMatchingSize,
        firstDifferingSize,
      });
    }
    // A fingerprint that does not reproduce the previous root is not trusted to narrow anything.
    const forged = { ...first.fingerprint, edge: first.fingerprint.edge.map(() => new Uint8Array(32)) };
    const { fetchBytes } = await servedLog(entries.map((e, i) => (i === 700 ? entryOf(i, 2) : e)), [1300]);
    expect(await auditLog({ fetchBytes, trusted, previous, previousFingerprint: forged })).toMatchObject({ firstDifferingSize: 1000 });
  });

  it("computes the root of every tree size from its fingerprint", async () => {
    const entries = Array.from({ length: 1100 }, (_, i) => entryOf(i));
    for (const size of [1, 2, 255, 256, 257, 512, 700, 1024, 1100]) {
      const { fetchBytes, checkpoints } = await servedLog(entries.slice(0, size), [size]);
      const result = await auditLog({ fetchBytes, trusted });
      expect(fingerprintRoot(result.fingerprint)).toEqual(checkpoints.get(size)!.rootHash);
    }
  });

  it("reports a log that shrank below the last checkpoint as inconsistent", async () => {
    const entries = Array.from({ length: 600 }, (_, i) => entryOf(i));
    const honest = await servedLog(entries, [600]);
    const { fetchBytes } = await servedLog(entries, [400]);
    expect(await auditLog({ fetchBytes, trusted, previous: honest.checkpoints.get(600)! })).toMatchObject({
      consistent: false,
      firstDifferingSize: 600,
    });
  });

  it("fails with LOG_INCONSISTENT when a leaf tile, a higher tile or an entry was changed under a signed checkpoint", async () => {
    const entries = Array.from({ length: 600 }, (_, i) => entryOf(i));
    const leaf = await servedLog(entries, [600]);
    const tile = (await leaf.fetchBytes("tile/0/001"))!.slice();
    tile[5]! ^= 1;
    leaf.served.set("tile/0/001", tile);
    await expect(auditLog({ fetchBytes: leaf.fetchBytes, trusted })).rejects.toMatchObject({ code: "LOG_INCONSISTENT" });

    const higher = await servedLog(entries, [600]);
    higher.served.set("tile/1/000.p/2", new Uint8Array(64));
    await expect(auditLog({ fetchBytes: higher.fetchBytes, trusted })).rejects.toMatchObject({ code: "LOG_INCONSISTENT" });

    const swapped = await servedLog(entries, [600]);
    swapped.served.set("tile/entries/002.p/88", encodeEntryBundle(entries.slice(512, 600).reverse()));
    await expect(auditLog({ fetchBytes: swapped.fetchBytes, trusted, checkEntries: true })).rejects.toMatchObject({
      code: "LOG_INCONSISTENT",
    });
  });

  it("fails with CHECKPOINT_INVALID for a checkpoint another key signed, and LOG_TILE_MISSING for a missing tile", async () => {
    const entries = Array.from({ length: 300 }, (_, i) => entryOf(i));
    const { fetchBytes, served } = await servedLog(entries, [300]);
    await expect(auditLog({ fetchBytes, trusted: { origin, publicKey: generateKeyPairSync("ed25519").publicKey } })).rejects.toMatchObject({
      code: "CHECKPOINT_INVALID",
    });
    await expect(auditLog({ fetchBytes, trusted, maxSize: 299 })).rejects.toMatchObject({ code: "USAGE" });
    served.set("tile/0/001.p/44", undefined as unknown as Uint8Array);
    await expect(auditLog({ fetchBytes, trusted })).rejects.toMatchObject({ code: "LOG_TILE_MISSING" });
  });
});
