import { readSignedDocumentsText } from "./read.js";

/**
 * Parses the text of a signed-document file: one bundle or envelope (however
 * it is laid out), or a `.intoto.jsonl` collection with one envelope a line.
 * Pure: the caller reads the file and names it as `path` for messages. The
 * whole text is parsed as one document first, so a large pretty-printed
 * bundle is never split into lines; nesting depth and the number of
 * envelopes are capped (readSignedDocumentsText).
 */
export function readSignedDocuments(text: string, path: string): unknown[] {
  return readSignedDocumentsText(text, path);
}
