import { printable } from "@provenant/core";

// Job summaries are GitHub-flavoured Markdown, rendered on the run's page for
// everyone who can read it. Subject names, paths, rule names and the reasons
// a policy quotes from evidence are untrusted: a subject named
// `[approve](https://evil.example)` must show as that text, not as a link,
// and a `|` or a newline must not end its table cell or row. Hand-written,
// because the rules are short and follow the spec (CommonMark 0.31 §2.4
// backslash escapes, §6.1 code spans; GFM tables, "escaped pipes"), while the
// Markdown libraries render Markdown rather than escape into it.

/** A single value in a summary is cut here; the whole summary holds at most 1 MiB. */
export const MAX_MARKDOWN_VALUE = 1000;

function oneLine(text: string): string {
  const flat = printable(text.replace(/\r\n|\r|\n/g, " "));
  return flat.length > MAX_MARKDOWN_VALUE ? `${flat.slice(0, MAX_MARKDOWN_VALUE)}…` : flat;
}

/**
 * Untrusted text as Markdown text inside a line (a table cell, after a
 * label), on one line: every character that starts inline markup
 * backslash-escaped (CommonMark lets any ASCII punctuation be escaped):
 * links and images `[ ] ( ) !`, emphasis and strikethrough `* _ ~`, code
 * spans `` ` ``, HTML tags and entities `< > &`, GFM cells `|`, mentions
 * `@`, math `$`, and `\` itself. Control and bidi characters are written
 * as `\uXXXX` and long values cut. Block markup (`#`, `-`, `1.`) only
 * counts at the start of a line, where these values never go.
 */
export function markdownText(text: string): string {
  return oneLine(text).replace(/[\\`*_[\]()!|<>&~@$]/g, (c) => `\\${c}`);
}

/**
 * Untrusted text as an inline code span, on one line: fenced by more
 * backticks than any run inside it (backslashes do not escape in code spans),
 * padded when it starts or ends with a backtick, and with `|` escaped, which
 * GFM requires even inside a code span in a table.
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
 * them, so no line (a subject name holding ```` ``` ````) can close it early.
 */
export function markdownCodeBlock(info: string, lines: readonly string[]): string[] {
  const body = lines.map((line) => printable(line));
  const longest = Math.max(0, ...body.flatMap((line) => [...line.matchAll(/`+/g)].map((m) => m[0].length)));
  const fence = "`".repeat(Math.max(3, longest + 1));
  return [`${fence}${info}`, ...body, fence];
}
