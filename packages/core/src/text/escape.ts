import { redactCredentials } from "../source/url-credentials.js";

/**
 * The one escaping layer for text that came from outside (a file, a file
 * name, a bundle, a token, a registry, an environment variable) on its way
 * to a terminal or a CI log. Every front end prints such text through
 * `printable` (one line of text) or `terminalJson` (a JSON document).
 *
 * What is escaped, and why:
 * - C0 controls (newline included), DEL and C1 controls: a newline would let a
 *   value start a fresh log line such as `::error::` (GitHub Actions),
 *   `##vso[` (Azure Pipelines) or `##[` and so forge a workflow command or a
 *   "PASS"/"VERIFIED" line; ESC starts CSI/OSC sequences that move the cursor,
 *   clear the screen or set the window title; U+009B is CSI on its own in
 *   terminals that read 8-bit C1 codes.
 * - U+2028/U+2029: line and paragraph separators some log viewers break on.
 * - Bidirectional controls (U+061C, U+200E/U+200F, U+202A–U+202E,
 *   U+2066–U+2069): they reorder what a reader sees ("Trojan Source",
 *   CVE-2021-42574), so `evil\u202Ecod.exe` would read as something else.
 * Escapes are written `\uXXXX`, which shows where a hostile value was without
 * carrying its effect.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// The same set without the C0 controls, which JSON.stringify already escapes.
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeCharacter(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/** One line of text, safe for a terminal or a CI log: every unsafe character written as `\uXXXX`. */
export function printable(text: string): string {
  return text.replace(UNSAFE, escapeCharacter);
}

/** True when `text` holds nothing `printable` would escape. */
export function isPrintable(text: string): boolean {
  UNSAFE.lastIndex = 0;
  const found = UNSAFE.test(text);
  UNSAFE.lastIndex = 0;
  return !found;
}

/**
 * JSON for stdout: `JSON.stringify` escapes C0 controls but writes C1
 * controls, DEL, line separators and bidi overrides raw. Those characters can
 * only occur inside JSON strings, where `\uXXXX` means the same character, so
 * the document parses to the same value and no terminal acts on it.
 */
export function terminalJson(value: unknown, indent = 2): string {
  return (JSON.stringify(value, null, indent) ?? "null").replace(UNSAFE_IN_JSON, escapeCharacter);
}

/**
 * A message for stderr or stdout: credentials in any URL it quotes removed,
 * then escaped to one line. Error printers call this on every message, since
 * messages are built from file names, parser errors and arguments.
 */
export function printableMessage(text: string): string {
  return printable(redactCredentials(text));
}
