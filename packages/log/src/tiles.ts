import { ProvenantError } from "@provenant/core";

/**
 * C2SP tlog-tiles: tiles of height 8, so a full tile holds 256 hashes of one
 * tree level (level L of tiles stores the nodes at Merkle level 8·L).
 */
export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 256;

/**
 * Reads stored hash tiles. Returns `width * 32` bytes, or undefined when the
 * tile is not stored. A reader that keeps only the newest (widest) version of
 * a tile serves any narrower width as a prefix of it: tiles only ever grow.
 */
export interface TileReader {
  readTile(level: number, index: number, width: number): Promise<Uint8Array | undefined>;
}

/** One hash tile (full when width is 256, partial otherwise). */
export interface Tile {
  level: number;
  index: number;
  width: number;
  data: Uint8Array;
}

// Entry bundles carry uint16 lengths (C2SP tlog-tiles "entry bundles").
const MAX_ENTRY_BYTES = 0xffff;
// Paths name indices up to 2^53 (JavaScript safe integers), far beyond any real log.
const MAX_PATH_LENGTH = 128;

/**
 * C2SP tlog-tiles path of a tile: `tile/<L>/<N>[.p/<W>]` or
 * `tile/entries/<N>[.p/<W>]`, where N is written in groups of three decimal
 * digits, every group but the last prefixed with "x" (1234067 → x001/x234/067).
 */
export function tilePath(level: number | "entries", index: number, width?: number): string {
  if (level !== "entries" && !(Number.isInteger(level) && level >= 0 && level <= 63)) {
    throw new ProvenantError("USAGE", `tile level ${String(level)}: expected "entries" or an integer 0..63`);
  }
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new ProvenantError("USAGE", `tile index ${index}: expected a non-negative integer`);
  }
  if (width !== undefined && !(Number.isInteger(width) && width >= 1 && width <= TILE_WIDTH)) {
    throw new ProvenantError("USAGE", `tile width ${width}: expected an integer 1..256`);
  }
  const groups: string[] = [];
  let rest = index;
  do {
    groups.unshift(String(rest % 1000).padStart(3, "0"));
    rest = Math.floor(rest / 1000);
  } while (rest > 0);
  const n = groups.map((group, i) => (i < groups.length - 1 ? `x${group}` : group)).join("/");
  const partial = width !== undefined && width < TILE_WIDTH ? `.p/${width}` : "";
  return `tile/${level}/${n}${partial}`;
}

/** The inverse of tilePath; undefined for anything that is not a canonical tile path. */
export function parseTilePath(path: string): { level: number | "entries"; index: number; width?: number } | undefined {
  if (path.length > MAX_PATH_LENGTH) return undefined;
  const match = /^\/?tile\/(entries|0|[1-9][0-9]?)\/((?:x[0-9]{3}\/)*)([0-9]{3})(?:\.p\/([1-9][0-9]{0,2}))?$/.exec(path);
  if (!match) return undefined;
  const level = match[1] === "entries" ? "entries" : Number(match[1]);
  if (typeof level === "number" && level > 63) return undefined;
  const groups = [...(match[2] ?? "").split("/").filter((g) => g !== "").map((g) => g.slice(1)), match[3]!];
  // Leading zero groups are not canonical (x000/001 is written 001).
  if (groups.length > 1 && groups[0] === "000") return undefined;
  let index = 0;
  for (const group of groups) index = index * 1000 + Number(group);
  if (!Number.isSafeInteger(index)) return undefined;
  if (match[4] === undefined) return { level, index };
  const width = Number(match[4]);
  if (width >= TILE_WIDTH) return undefined;
  return { level, index, width };
}

/** C2SP entry bundle: each entry as a big-endian uint16 length followed by its bytes. */
export function encodeEntryBundle(entries: readonly Uint8Array[]): Uint8Array {
  if (entries.length > TILE_WIDTH) {
    throw new ProvenantError("USAGE", `entry bundle of ${entries.length} entries: expected at most 256`);
  }
  let total = 0;
  for (const [i, entry] of entries.entries()) {
    if (entry.length > MAX_ENTRY_BYTES) {
      throw new ProvenantError("USAGE", `log entry ${i} is ${entry.length} bytes: expected at most 65535`);
    }
    total += 2 + entry.length;
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const entry of entries) {
    out[offset] = entry.length >> 8;
    out[offset + 1] = entry.length & 0xff;
    out.set(entry, offset + 2);
    offset += 2 + entry.length;
  }
  return out;
}

export function decodeEntryBundle(data: Uint8Array): Uint8Array[] {
  const entries: Uint8Array[] = [];
  let offset = 0;
  while (offset < data.length) {
    if (entries.length === TILE_WIDTH) {
      throw new ProvenantError("MALFORMED_LOG_DATA", "entry bundle holds more than 256 entries");
    }
    if (offset + 2 > data.length) {
      throw new ProvenantError("MALFORMED_LOG_DATA", `entry bundle truncated at byte ${offset}: expected a uint16 length`);
    }
    const length = (data[offset]! << 8) | data[offset + 1]!;
    if (offset + 2 + length > data.length) {
      throw new ProvenantError(
        "MALFORMED_LOG_DATA",
        `entry bundle truncated: entry ${entries.length} claims ${length} bytes, ${data.length - offset - 2} remain`,
      );
    }
    entries.push(data.slice(offset + 2, offset + 2 + length));
    offset += 2 + length;
  }
  return entries;
}
