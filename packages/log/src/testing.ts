import { HASH_SIZE } from "./hash.js";
import type { Tile, TileReader } from "./tiles.js";

/**
 * An in-memory tile store for tests and benchmarks: keeps the newest version
 * of each tile and serves narrower widths as a prefix, as a database-backed
 * store does.
 */
export class MemoryTileStore implements TileReader {
  readonly tiles = new Map<string, Tile>();
  reads = 0;

  async readTile(level: number, index: number, width: number): Promise<Uint8Array | undefined> {
    this.reads++;
    const tile = this.tiles.get(`${level}/${index}`);
    if (!tile || tile.width < width) return undefined;
    return tile.data.subarray(0, width * HASH_SIZE);
  }

  write(tiles: readonly Tile[]): void {
    for (const tile of tiles) this.tiles.set(`${tile.level}/${tile.index}`, tile);
  }
}
