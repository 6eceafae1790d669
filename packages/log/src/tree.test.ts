import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { isProvenantError } from "@provenant/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { leafHash, toHex } from "./hash.js";
import { verifyConsistency, verifyInclusion } from "./proofs.js";
import { MemoryTileStore } from "./testing.js";
import { consistencyProof, inclusionProof, integrate, rootAt } from "./tree.js";

const reference = fileURLToPath(new URL("../test/rfc6962.py", import.meta.url));

/**
 * Builds a log of `entries` appended in batches ending at the given cut
 * points (fractions of the size); returns the store and the root after each batch.
 */
async function buildLog(entries: readonly Uint8Array[], cuts: readonly number[]) {
  const store = new MemoryTileStore();
  const roots = new Map<number, Uint8Array>();
  const ends = [...new Set([...cuts.map((c) => Math.floor(c * entries.length)), entries.length])]
    .filter((end) => end > 0)
    .sort((a, b) => a - b);
  let size = 0;
  for (const end of ends) {
    const result = await integrate(size, entries.slice(size, end).map(leafHash), store);
    store.write(result.tiles);
    size = result.size;
    roots.set(size, result.rootHash);
  }
  return { store, roots };
}

const cutPoints = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 });

function pythonReference(request: {
  leaves: string[];
  roots: number[];
  inclusion: [number, number][];
  consistency: [number, number][];
}): { roots: string[]; inclusion: string[][]; consistency: string[][] } {
  const run = spawnSync("python3", [reference], { input: JSON.stringify(request), encoding: "utf8" });
  if (run.error || run.status !== 0) {
    throw new Error(`python3 is needed for the RFC 6962 cross-check (apt-get install python3): ${run.error ?? run.stderr}`);
  }
  return JSON.parse(run.stdout);
}

/** Every way of breaking one hash of a proof: flip a bit, drop it, add one. */
function mutations(proof: readonly Uint8Array[]): Uint8Array[][] {
  const out: Uint8Array[][] = [];
  for (let i = 0; i < proof.length; i++) {
    const flipped = proof.map((h) => h.slice());
    flipped[i]![i % 32]! ^= 0x01;
    out.push(flipped);
    out.push(proof.filter((_, j) => j !== i));
  }
  out.push([...proof, new Uint8Array(32)]);
  return out;
}

describe("RFC 6962 tree over tiles", () => {
  it("agrees with an independent Python hashlib implementation on roots and proofs", async () => {
    const entries = Array.from({ length: 700 }, (_, i) => new TextEncoder().encode(`entry ${i} ${"x".repeat(i % 7)}`));
    const { store } = await buildLog(entries, [1 / 700, 4 / 700, 259 / 700, 261 / 700, 561 / 700]);
    const sizes = [1, 2, 3, 7, 8, 9, 255, 256, 257, 511, 512, 513, 600, 700];
    const inclusion: [number, number][] = sizes.flatMap((n) => [0, Math.floor(n / 2), n - 1].map((m) => [m, n] as [number, number]));
    const consistency: [number, number][] = [];
    for (const m of sizes) for (const n of sizes) if (m < n) consistency.push([m, n]);
    const expected = pythonReference({ leaves: entries.map(toHex), roots: sizes, inclusion, consistency });
    const roots = await Promise.all(sizes.map((n) => rootAt(n, store)));
    expect(roots.map(toHex)).toEqual(expected.roots);
    const ours = await Promise.all(inclusion.map(([m, n]) => inclusionProof(m, n, store)));
    expect(ours.map((p) => p.map(toHex))).toEqual(expected.inclusion);
    const cons = await Promise.all(consistency.map(([m, n]) => consistencyProof(m, n, store)));
    expect(cons.map((p) => p.map(toHex))).toEqual(expected.consistency);
  });

  it("matches the RFC 6962 empty-tree root and the root of one leaf", async () => {
    const store = new MemoryTileStore();
    // SHA-256 of the empty string (RFC 6962 section 2.1: MTH({}) = SHA-256()).
    expect(toHex(await rootAt(0, store))).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const result = await integrate(0, [leafHash(new Uint8Array())], store);
    // SHA-256(0x00): the leaf hash of the empty entry.
    expect(toHex(result.rootHash)).toBe("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  });

  it("verifies every proof of small trees built in random batches, and rejects every mutated proof", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 300 }),
        cutPoints,
        async (size, cuts) => {
          const entries = Array.from({ length: size }, (_, i) => Uint8Array.of(i & 0xff, i >> 8));
          const { store, roots } = await buildLog(entries, cuts);
          const root = roots.get(size)!;
          expect(await rootAt(size, store)).toEqual(root);
          for (let m = 0; m < size; m++) {
            const proof = await inclusionProof(m, size, store);
            expect(verifyInclusion(leafHash(entries[m]!), m, size, proof, root)).toBe(true);
          }
          for (const [from, fromRoot] of roots) {
            const proof = await consistencyProof(from, size, store);
            expect(verifyConsistency(from, size, fromRoot, root, proof)).toBe(true);
          }
          const m = size - 1;
          const proof = await inclusionProof(m, size, store);
          for (const bad of mutations(proof)) expect(verifyInclusion(leafHash(entries[m]!), m, size, bad, root)).toBe(false);
        },
      ),
      { numRuns: 25 },
    );
  });

  it("verifies sampled proofs of random trees up to 10^5 leaves and rejects their mutations", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 100_000 }),
        cutPoints,
        fc.array(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), { minLength: 8, maxLength: 8 }),
        async (size, cuts, picks) => {
          const entries = Array.from({ length: size }, (_, i) => Uint8Array.of(i & 0xff, (i >> 8) & 0xff, i >> 16));
          const { store, roots } = await buildLog(entries, cuts);
          const root = roots.get(size)!;
          for (const pick of picks) {
            const m = Math.floor(pick * size);
            const proof = await inclusionProof(m, size, store);
            const leaf = leafHash(entries[m]!);
            expect(verifyInclusion(leaf, m, size, proof, root)).toBe(true);
            for (const bad of mutations(proof)) expect(verifyInclusion(leaf, m, size, bad, root)).toBe(false);
            if (size > 1) expect(verifyInclusion(leaf, (m + 1) % size, size, proof, root)).toBe(false);
          }
          for (const [from, fromRoot] of roots) {
            const proof = await consistencyProof(from, size, store);
            expect(verifyConsistency(from, size, fromRoot, root, proof)).toBe(true);
            if (from > 0 && from < size) {
              for (const bad of mutations(proof)) expect(verifyConsistency(from, size, fromRoot, root, bad)).toBe(false);
              expect(verifyConsistency(from, size, root, fromRoot, proof)).toBe(false);
            }
          }
        },
      ),
      { numRuns: 6 },
    );
  });

  it("reads only the right edge when appending", async () => {
    const store = new MemoryTileStore();
    const first = await integrate(0, Array.from({ length: 70_000 }, () => leafHash(randomBytes(8))), store);
    store.write(first.tiles);
    store.reads = 0;
    const next = await integrate(first.size, [leafHash(randomBytes(8))], store);
    // One partial tile per level at most (70000 leaves: levels 0, 1 and 2).
    expect(store.reads).toBeLessThanOrEqual(3);
    expect(next.tiles.map((t) => `${t.level}/${t.index}/${t.width}`)).toEqual(["0/273/113"]);
  });

  it("never changes the tiles a reader returns, even when they are Buffers (as database drivers return them)", async () => {
    const entries = Array.from({ length: 1000 }, (_, i) => Uint8Array.of(i & 0xff, i >> 8));
    const { store, roots } = await buildLog(entries, [0.3]);
    for (const tile of store.tiles.values()) tile.data = Buffer.from(tile.data);
    const before = [...store.tiles.values()].map((t) => toHex(t.data));
    for (let m = 0; m < 1000; m += 37) {
      expect(verifyInclusion(leafHash(entries[m]!), m, 1000, await inclusionProof(m, 1000, store), roots.get(1000)!)).toBe(true);
    }
    await consistencyProof(300, 1000, store);
    await integrate(1000, [leafHash(Uint8Array.of(1))], store);
    expect([...store.tiles.values()].map((t) => toHex(t.data))).toEqual(before);
  });

  it("appending nothing changes no tile and keeps the root", async () => {
    const { store, roots } = await buildLog(Array.from({ length: 300 }, (_, i) => Uint8Array.of(i & 0xff)), []);
    const result = await integrate(300, [], store);
    expect(result).toEqual({ size: 300, rootHash: roots.get(300), tiles: [] });
  });

  it("fails with LOG_TILE_MISSING when a tile the proof needs is not stored", async () => {
    const store = new MemoryTileStore();
    const result = await integrate(0, Array.from({ length: 600 }, (_, i) => leafHash(Uint8Array.of(i & 0xff))), store);
    store.write(result.tiles.filter((t) => !(t.level === 0 && t.index === 1)));
    await expect(inclusionProof(300, 600, store)).rejects.toSatisfy((e) => isProvenantError(e, "LOG_TILE_MISSING"));
  });
});
