/**
 * Shows text taken from a document that may be unsigned or hostile (a
 * payloadType, a builder id, a subject name) on one line: control characters
 * become visible escapes, so a value cannot forge "PASS"/"VERIFIED" lines or
 * inject CI workflow commands (`::error::`, `##vso[...]`) into the log.
 */
export function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
