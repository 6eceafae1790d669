import { ProvenantError } from "../error.js";
import { jsonTextTooDeep, MAX_JSON_DEPTH, parseJsonText } from "../schemas/parse.js";

/**
 * Envelopes one `.intoto.jsonl` collection may hold. A collection verifies
 * when one envelope does, so each is tried; a release's collection holds one
 * per build step, not thousands.
 */
export const MAX_ENVELOPES_PER_COLLECTION = 1000;

export interface ReadLimits {
  maxEnvelopes?: number;
  maxDepth?: number;
}

/**
 * Splits the text of a bundle file into signed documents (still unparsed by
 * schema): one Sigstore bundle or envelope, or a JSON Lines collection of
 * envelopes. Pure; the caller reads the bytes (bounded) and names the file in
 * `what`. Throws MALFORMED_JSON, JSON_TOO_DEEP or INPUT_TOO_LARGE.
 */
export function readSignedDocumentsText(text: string, what: string, limits: ReadLimits = {}): unknown[] {
  const maxEnvelopes = limits.maxEnvelopes ?? MAX_ENVELOPES_PER_COLLECTION;
  const maxDepth = limits.maxDepth ?? MAX_JSON_DEPTH;
  if (text.trim() === "") {
    throw new ProvenantError("MALFORMED_JSON", `${what} is empty; expected a Sigstore bundle or DSSE envelopes`);
  }
  // One document first (a pretty-printed bundle spans many lines); only when
  // the whole text is not one JSON value is it read as JSON Lines.
  if (!jsonTextTooDeep(text, maxDepth)) {
    try {
      return [JSON.parse(text)];
    } catch {
      // not one document
    }
  }
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== "");
  if (lines.length === 1) return [parseJsonText(lines[0]!, what, maxDepth)];
  if (lines.length > maxEnvelopes) {
    throw new ProvenantError(
      "INPUT_TOO_LARGE",
      `${what} holds ${lines.length} lines; expected at most ${maxEnvelopes} envelopes in one collection`,
    );
  }
  return lines.map((line, i) => parseJsonText(line, `${what} line ${i + 1}`, maxDepth));
}

/** The envelope's payload as JSON, depth-capped before anything walks it. */
export function parsePayloadJson(payload: Buffer): unknown {
  const text = payload.toString("utf8");
  if (jsonTextTooDeep(text, MAX_JSON_DEPTH)) {
    throw new ProvenantError("JSON_TOO_DEEP", `statement: the payload nests arrays or objects more than ${MAX_JSON_DEPTH} deep`);
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new ProvenantError("MALFORMED_STATEMENT", "statement: the payload is not JSON", { cause });
  }
}
