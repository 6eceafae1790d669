import { ProvenantError } from "../error.js";

const EXPECTED = "expected a Sigstore bundle, a DSSE envelope, or DSSE envelopes one a line (.intoto.jsonl)";

/**
 * Parses the text of a signed-document file: one bundle or envelope (however
 * it is laid out), or a `.intoto.jsonl` collection with one envelope a line.
 * Pure: the caller reads the file and names it as `path` for messages.
 *
 * The whole text is parsed as one document first, so a large pretty-printed
 * bundle is never split into lines; only text that is not one JSON value is
 * read as JSON Lines.
 */
export function readSignedDocuments(text: string, path: string): unknown[] {
  if (text.trim() === "") throw new ProvenantError("MALFORMED_JSON", `${path} is empty; ${EXPECTED}`);
  try {
    return [JSON.parse(text) as unknown];
  } catch (error) {
    const lines = text.split(/\r?\n/).filter((line) => line.trim() !== "");
    if (lines.length === 1) throw malformed(path, error);
    return lines.map((line, i) => {
      try {
        return JSON.parse(line) as unknown;
      } catch (lineError) {
        throw malformed(`${path} line ${i + 1}`, lineError);
      }
    });
  }
}

function malformed(where: string, error: unknown): ProvenantError {
  return new ProvenantError("MALFORMED_JSON", `${where} is not valid JSON (${(error as Error).message}); ${EXPECTED}`, { cause: error });
}
