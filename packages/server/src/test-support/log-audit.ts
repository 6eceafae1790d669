import { createHash, type KeyObject } from "node:crypto";
import { auditLog, decodeEntryBundle, parseTilePath } from "@provenant/log";
import type { Vault } from "../vault/types.js";

/**
 * Audits the whole log through the vault's tile and checkpoint reads with
 * @provenant/log's auditor (root recomputed from the tiles, checkpoint
 * signature checked), and also recomputes the root from every entry body
 * with the RFC 6962 definition written out here, independent of the tiles.
 */
export async function auditVaultLog(
  vault: Vault,
  trusted: { origin: string; publicKey: KeyObject },
  previous?: { size: number; rootHash: Uint8Array },
) {
  const fetchBytes = async (path: string): Promise<Uint8Array | undefined> => {
    const clean = path.replace(/^\/+/, "");
    if (clean === "checkpoint") return new TextEncoder().encode(await vault.checkpoint());
    const tile = parseTilePath(clean);
    if (!tile) return undefined;
    return tile.level === "entries" ? vault.readEntryBundle(tile.index, tile.width) : vault.readTile(tile.level, tile.index, tile.width);
  };
  const audit = await auditLog({ fetchBytes, trusted, ...(previous ? { previous } : {}) });
  const bodies: Uint8Array[] = [];
  for (let index = 0; index * 256 < audit.size; index++) {
    const width = Math.min(256, audit.size - index * 256);
    const bundle = await vault.readEntryBundle(index, width);
    if (!bundle) throw new Error(`entry bundle ${index} (width ${width}) is missing`);
    bodies.push(...decodeEntryBundle(bundle));
  }
  const leaves = bodies.map((b) => sha256(new Uint8Array([0]), b));
  return { ...audit, bodies, independentRoot: merkleRoot(leaves) };
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
