/**
 * C2SP tlog-tiles paths below `/tile/`: `<L>/<N>[.p/<W>]` or
 * `entries/<N>[.p/<W>]`, where N is written in 3-digit groups, all but the
 * last prefixed with `x` (`x001/234` = 1234).
 */
export function parseTileRequestPath(path: string): { level: number | "entries"; index: number; width?: number } | undefined {
  const match = /^(entries|\d{1,2})\/((?:x\d{3}\/)*\d{3})(?:\.p\/(\d{1,3}))?$/.exec(path);
  if (!match) return undefined;
  const index = Number(match[2]!.replaceAll("x", "").replaceAll("/", ""));
  const width = match[3] === undefined ? undefined : Number(match[3]);
  // A partial tile holds 1..255 entries; a full tile has no `.p/` suffix.
  if (width !== undefined && (width < 1 || width > 255)) return undefined;
  if (!Number.isSafeInteger(index)) return undefined;
  return { level: match[1] === "entries" ? "entries" : Number(match[1]), index, width };
}
