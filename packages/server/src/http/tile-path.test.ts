import { describe, expect, it } from "vitest";
import { parseTileRequestPath } from "./tile-path.js";

// Path shapes from C2SP tlog-tiles: N in 3-digit groups, "x" before all but the last.
describe("parseTileRequestPath", () => {
  it("reads full and partial hash tiles and entry bundles", () => {
    expect(parseTileRequestPath("0/000")).toEqual({ level: 0, index: 0, width: undefined });
    expect(parseTileRequestPath("1/x001/234")).toEqual({ level: 1, index: 1234, width: undefined });
    expect(parseTileRequestPath("0/x001/x234/067.p/8")).toEqual({ level: 0, index: 1_234_067, width: 8 });
    expect(parseTileRequestPath("entries/005.p/255")).toEqual({ level: "entries", index: 5, width: 255 });
  });

  it("refuses paths that are not tile paths", () => {
    for (const bad of ["0/1", "0/x001", "0/001/234", "0/001.p/0", "0/001.p/256", "../etc/passwd", "a/000", "0/000/", "0/000.p/"]) {
      expect(parseTileRequestPath(bad), bad).toBeUndefined();
    }
  });
});
