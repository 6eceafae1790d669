import { describe, expect, it } from "vitest";
import { isProvenantError } from "../error.js";
import { readSignedDocuments } from "./signed-documents.js";

function errorOf(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (error) {
    if (isProvenantError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error("expected an error");
}

describe("readSignedDocuments", () => {
  it("reads a pretty-printed bundle as one document", () => {
    const bundle = { mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json", dsseEnvelope: { payload: "e30=" } };
    expect(readSignedDocuments(JSON.stringify(bundle, null, 2), "app.bundle.json")).toEqual([bundle]);
  });

  it("reads JSON Lines as one document a line, blank lines and CRLF ignored", () => {
    const text = '{"payloadType":"a","signatures":[]}\r\n\r\n{"payloadType":"b","signatures":[]}\n';
    expect(readSignedDocuments(text, "x.intoto.jsonl")).toEqual([
      { payloadType: "a", signatures: [] },
      { payloadType: "b", signatures: [] },
    ]);
  });

  it("names the file and the line of a malformed line", () => {
    const error = errorOf(() => readSignedDocuments('{"a":1}\n{"b":\n', "x.intoto.jsonl"));
    expect(error.code).toBe("MALFORMED_JSON");
    expect(error.message).toMatch(/^x\.intoto\.jsonl line 2 is not valid JSON/);
  });

  it("refuses an empty file and a single malformed document, naming the file", () => {
    expect(errorOf(() => readSignedDocuments(" \n", "empty.json"))).toMatchObject({ code: "MALFORMED_JSON", message: expect.stringMatching(/^empty\.json is empty/) });
    expect(errorOf(() => readSignedDocuments("{nope", "bad.json"))).toMatchObject({
      code: "MALFORMED_JSON",
      message: expect.stringMatching(/^bad\.json is not valid JSON .*expected a Sigstore bundle/),
    });
  });
});
