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
