import { describe, expect, it } from "vitest";
import { ProvenantError } from "@provenant/core";
import { parseUploadBody } from "./json-limits.js";

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof ProvenantError ? error.code : "not a ProvenantError";
  }
  return undefined;
}

describe("parseUploadBody", () => {
  it("reads one JSON document, or JSON Lines with one document a line", () => {
    expect(parseUploadBody('{"a":1}', 8)).toEqual([{ a: 1 }]);
    expect(parseUploadBody('{\n  "a": 1\n}\n', 8)).toEqual([{ a: 1 }]);
    expect(parseUploadBody('{"a":1}\n{"b":2}\n', 8)).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it("refuses empty bodies, bad JSON and bad lines with MALFORMED_JSON", () => {
    expect(codeOf(() => parseUploadBody("  ", 8))).toBe("MALFORMED_JSON");
    expect(codeOf(() => parseUploadBody("{nope", 8))).toBe("MALFORMED_JSON");
    expect(codeOf(() => parseUploadBody('{"a":1}\n{nope\n', 8))).toBe("MALFORMED_JSON");
  });

  it("refuses nesting deeper than the cap, even 100,000 levels deep, without exhausting the stack", () => {
    expect(parseUploadBody(`${"[".repeat(8)}${"]".repeat(8)}`, 8)).toHaveLength(1);
    expect(codeOf(() => parseUploadBody(`${"[".repeat(9)}${"]".repeat(9)}`, 8))).toBe("MALFORMED_JSON");
    expect(codeOf(() => parseUploadBody(`${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}`, 64))).toBe("MALFORMED_JSON");
  });
});
