import { isProvenantError } from "@provenant/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeEntryBundle, encodeEntryBundle, parseTilePath, tilePath } from "./tiles.js";

describe("C2SP tlog-tiles paths", () => {
  it("writes indices in x-prefixed groups of three digits and partial widths as .p/W", () => {
    // Examples from the C2SP tlog-tiles specification.
    expect(tilePath(0, 1234067)).toBe("tile/0/x001/x234/067");
    expect(tilePath(1, 5, 17)).toBe("tile/1/005.p/17");
    expect(tilePath("entries", 0, 3)).toBe("tile/entries/000.p/3");
    expect(tilePath(0, 1234, 256)).toBe("tile/0/x001/234");
  });

  it("parses what it writes and nothing else", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.constant("entries" as const), fc.integer({ min: 0, max: 63 })),
        fc.maxSafeNat(),
        fc.option(fc.integer({ min: 1, max: 255 }), { nil: undefined }),
        (level, index, width) => {
          expect(parseTilePath(tilePath(level, index, width))).toEqual(width === undefined ? { level, index } : { level, index, width });
        },
      ),
    );
    for (const bad of ["tile/0/1", "tile/0/x000/001", "tile/0/001.p/256", "tile/0/001.p/0", "tile/01/001", "tile/0/../001", "checkpoint"]) {
      expect(parseTilePath(bad)).toBeUndefined();
    }
  });
});

describe("entry bundles", () => {
  it("round-trips entries as uint16 length + bytes", () => {
    const entries = [new Uint8Array(), Uint8Array.of(1, 2, 3), new Uint8Array(300).fill(7)];
    const data = encodeEntryBundle(entries);
    expect([...data.subarray(0, 7)]).toEqual([0, 0, 0, 3, 1, 2, 3]);
    expect(decodeEntryBundle(data)).toEqual(entries);
  });

  it("refuses truncated bundles and oversized entries with coded errors", () => {
    expect(() => decodeEntryBundle(Uint8Array.of(0, 5, 1))).toThrow(expect.objectContaining({ code: "MALFORMED_LOG_DATA" }));
    let error: unknown;
    try {
      encodeEntryBundle([new Uint8Array(70_000)]);
    } catch (e) {
      error = e;
    }
    expect(isProvenantError(error, "USAGE")).toBe(true);
  });
});
