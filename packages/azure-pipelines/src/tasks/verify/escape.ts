import { printable } from "@provenant/core";

/**
 * One line of task log from untrusted text: control characters escaped by
 * core's `printable` (so no newline can start a line of its own), and any
 * `##vso[` or `##[` inside the line broken up as well, since the agent is not
 * documented to look for logging commands only at the start of a line.
 */
export function logText(text: string): string {
  return printable(text).replace(/##(?=vso\[|\[)/gi, "#\\u0023");
}

/**
 * Untrusted text for the summary tab's markdown, on one line and inert:
 * HTML's specials become entities, and every character markdown gives a
 * meaning (emphasis, links, images, code, tables, headings, lists) is
 * backslash-escaped, so a value can neither format nor link nor break out of
 * a table cell.
 */
export function markdownText(text: string): string {
  return logText(text)
    .replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!)
    .replace(/[\\`*_{}[\]()#+\-.!|~:]/g, "\\$&");
}
