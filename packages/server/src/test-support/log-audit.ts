import { createHash, type KeyObject } from "node:crypto";
import { auditLog, decodeEntryBundle, parseTilePath, rootAt, verifyCheckpoint } from "@provenant/log";
import type { Vault } from "../vault/types.js";

/**
 * Audits the whole log as a client would, twice over. First with
 * @provenant/log's `auditLog` through the vault's tile reads (checkpoint
 * signature, every tile recomputed, every entry hashed to its leaf, and
 * consistency with the checkpoints in `seen`). Then by hand: the checkpoint's signature with
 * @provenant/log's `verifyCheckpoint`, the root recomputed from the vault's
 * hash tiles with `rootAt`, and the root recomputed again from every entry
 * body (the entry bundles) with the RFC 6962 definition written out here,
 * independent of the tiles. Tests compare all three.
 */
export async function auditVaultLog(
  vault: Vault,
  trusted: { origin: string; publicKey: KeyObject },
  seen: readonly { size: number; rootHash: Uint8Array }[] = [],
) {
  const fetchBytes = async (path: string): Promise<Uint8Array | undefined> => {
    if (path === "checkpoint") return new TextEncoder().encode(await vault.checkpoint());
    const tile = parseTilePath(path);
    if (!tile) return undefined;
    return tile.level === "entries" ? vault.readEntryBundle(tile.index, tile.width) : vault.readTile(tile.level, tile.index, tile.width);
  };
  const latestSeen = [...seen].sort((a, b) => b.size - a.size)[0];
  const logAudit = await auditLog({
    fetchBytes,
    trusted,
    checkEntries: true,
    ...(latestSeen ? { previous: latestSeen, seen } : {}),
  });
  const checkpoint = await vault.checkpoint();
  const { size, rootHash } = verifyCheckpoint(checkpoint, trusted);
  const tileRoot = await rootAt(size, { readTile: (level, index, width) => vault.readTile(level, index, width) });
  const bodies: Uint8Array[] = [];
  for (let index = 0; index * 256 < size; index++) {
    const width = Math.min(256, size - index * 256);
    const bundle = await vault.readEntryBundle(index, width);
    if (!bundle) throw new Error(`entry bundle ${index} (width ${width}) is missing`);
    bodies.push(...decodeEntryBundle(bundle));
  }
  const leaves = bodies.map((b) => sha256(new Uint8Array([0]), b));
  return { size, rootHash, checkpoint, bodies, tileRoot, independentRoot: merkleRoot(leaves), logAudit };
}

function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** RFC 6962 §2.1 MTH: split at the largest power of two below n. */
export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return sha256();
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return sha256(new Uint8Array([1]), merkleRoot(leaves.slice(0, k)), merkleRoot(leaves.slice(k)));
}
