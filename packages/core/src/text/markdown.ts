import { printable } from "./escape.js";

// The one escaping layer for untrusted text going into Markdown: GitHub job
// summaries, the Azure Pipelines summary tab, the policy gates' rule tables.
// Subject names, paths, rule names and the reasons a policy quotes from
// evidence come from outside and are read by everyone who can see the run: a
// subject named `[approve](https://evil.example)` must show as that text, not
// as a link, `<img …>` not as HTML, and a `|` or a newline must not end its
// table cell or row. Hand-written, because the rules are short and follow the
// spec (CommonMark 0.31 §2.4 backslash escapes, §2.5 entity references, §6.1
// code spans; GFM tables, "escaped pipes", autolinks (extension)), while
// Markdown libraries render Markdown rather than escape into it.

/** A single value is cut here: a job summary holds at most 1 MiB. */
export const MAX_MARKDOWN_VALUE = 1000;

/** One line (line breaks become spaces), control and bidi characters as `\uXXXX`, cut at the cap. */
function oneLine(text: string): string {
  const flat = printable(text.replace(/\r\n|\r|\n/g, " "));
  return flat.length > MAX_MARKDOWN_VALUE ? `${flat.slice(0, MAX_MARKDOWN_VALUE)}…` : flat;
}

// HTML's specials as entities rather than backslash escapes: a renderer that
// passes raw HTML through before it reads Markdown escapes (Azure DevOps'
// summary tab is not documented to follow CommonMark) still shows text.
const HTML_ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };

/**
 * Untrusted text as Markdown text on one line (a table cell, a heading, after
 * a label, or at the start of a line), inert wherever it goes:
 * - `& < > "` as entities: no HTML tag, comment or entity of its own;
 * - backslash before every other character that starts inline markup
 *   (CommonMark lets any ASCII punctuation be escaped): links and images
 *   `[ ] ( ) !`, emphasis and strikethrough `* _ ~`, code spans `` ` ``, GFM
 *   cells `|`, mentions and email autolinks `@`, math `$`, braces `{ }`,
 *   headings `#`, `\` itself, and `:`, which GFM's extended autolinks need
 *   (`https://…`);
 * - block markup that only counts at the start of a line escaped there (a
 *   leading `-` or `+` list or rule, `1.` ordered list), and the `.` of
 *   `www.`, GFM's other autolink; so ordinary names such as
 *   `dist/app-1.4.0.tgz` stay as they are in the Markdown source;
 * - control and bidi characters written as `\uXXXX` (core's `printable`);
 * - line breaks as spaces and values longer than MAX_MARKDOWN_VALUE cut.
 */
export function markdownText(text: string): string {
  return oneLine(text)
    .replace(/[&<>"]/g, (c) => HTML_ENTITIES[c]!)
    .replace(/[\\`*_{}[\]()#!|~:@$]/g, "\\$&")
    .replace(/^(\s*)([-+])/, "$1\\$2")
    .replace(/^(\s*\d+)\./, "$1\\.")
    .replace(/(www)\./gi, "$1\\.");
}

/**
 * Untrusted text as an inline code span, on one line: fenced by more
 * backticks than any run inside it (backslashes do not escape in code spans,
 * and HTML is not read inside one), padded when it starts or ends with a
 * backtick, and with `|` escaped, which GFM requires even inside a code span
 * in a table.
 */
export function markdownCode(text: string): string {
  const flat = oneLine(text).replace(/\|/g, "\\|");
  const longest = Math.max(0, ...[...flat.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  const pad = flat.startsWith("`") || flat.endsWith("`") || flat === "" ? " " : "";
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/**
 * Lines as a fenced code block: the fence is longer than any backtick run in
 * them, so no line (a subject name holding ```` ``` ````) can close it early;
 * each line escaped by `printable`, so a line break inside one cannot either.
 */
export function markdownCodeBlock(info: string, lines: readonly string[]): string[] {
  const body = lines.map((line) => printable(line));
  const longest = Math.max(0, ...body.flatMap((line) => [...line.matchAll(/`+/g)].map((m) => m[0].length)));
  const fence = "`".repeat(Math.max(3, longest + 1));
  return [`${fence}${printable(info).replace(/`/g, "")}`, ...body, fence];
}
