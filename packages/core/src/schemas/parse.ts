import { en } from "zod/locales";
import * as z from "zod/mini";
import type { $ZodType, output } from "zod/v4/core";
import { type ErrorCode, ProvenantError } from "../error.js";

// zod/mini (a fraction of classic zod's size, which matters for the CLI's
// start) ships without messages; these are the readable English ones.
z.config(en());

/**
 * Parses untrusted data with a zod schema and turns a failure into one coded
 * error naming the first bad field by a short path, never the raw zod dump.
 */
export function parseWith<S extends $ZodType>(schema: S, value: unknown, code: ErrorCode, what: string): output<S> {
  const result = z.safeParse(schema, value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const where = issue.path.length > 0 ? formatPath(issue.path) : "(top level)";
  throw new ProvenantError(code, `${what}: ${where}: ${issue.message}`, { cause: result.error });
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, index) =>
      typeof part === "number" ? `[${part}]` : `${index === 0 ? "" : "."}${String(part)}`,
    )
    .join("");
}

/**
 * Nesting deeper than this is refused before anything walks the value:
 * Provenant's own documents nest about 8 deep; a 200,000-deep array made
 * `inspect --json` and `verify --json` die with "Maximum call stack size
 * exceeded" (issue 12 §4).
 */
export const MAX_JSON_DEPTH = 64;

/**
 * The deepest nesting of arrays and objects in JSON text, counted without
 * parsing (one pass, skipping strings), so the check itself cannot recurse.
 * Stops counting once `limit` is passed.
 *
 * Strings are skipped with `indexOf` rather than character by character:
 * most of a statement, and nearly all of a bundle (its base64 payload), is
 * string, and this scan ran on every verification (issue 14). A quote ends
 * the string unless an odd number of backslashes precede it.
 */
export function jsonTextDepth(text: string, limit = Number.POSITIVE_INFINITY): number {
  return scanDepth(text, limit);
}

/**
 * Whether the text nests deeper than `limit`. Nesting cannot be deeper than
 * the number of opening brackets anywhere in the text (strings included);
 * counting them with indexOf is much cheaper than the scan, and settles a
 * statement of a few subjects, checked on every verification.
 */
export function jsonTextTooDeep(text: string, limit = MAX_JSON_DEPTH): boolean {
  return !openingBracketsAtMost(text, limit) && scanDepth(text, limit) > limit;
}

function openingBracketsAtMost(text: string, limit: number): boolean {
  let count = 0;
  for (const bracket of ["{", "["]) {
    for (let i = text.indexOf(bracket); i >= 0; i = text.indexOf(bracket, i + 1)) if (++count > limit) return false;
  }
  return true;
}

function scanDepth(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      let end = text.indexOf('"', i + 1);
      while (end >= 0 && escaped(text, end)) end = text.indexOf('"', end + 1);
      if (end < 0) return deepest; // an unterminated string: nothing after it counts
      i = end;
    } else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

/** Whether the quote at `quote` is escaped: an odd run of backslashes before it (the opening quote ends any run). */
function escaped(text: string, quote: number): boolean {
  let backslashes = 0;
  for (let j = quote - 1; text.charCodeAt(j) === 0x5c; j--) backslashes++;
  return backslashes % 2 === 1;
}

/**
 * The same measure on a value already parsed. Recursion is bounded by the
 * limit, so for the usual limits it recurses (no allocation: this walks
 * every bundle verified); a huge limit gets an explicit stack instead.
 */
export function valueDepthExceeds(value: unknown, limit = MAX_JSON_DEPTH): boolean {
  if (limit <= 1024) return deeperThan(value, limit);
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== "object") continue;
    if (depth + 1 > limit) return true;
    for (const child of Array.isArray(item) ? item : Object.values(item)) {
      if (child !== null && typeof child === "object") stack.push([child, depth + 1]);
    }
  }
  return false;
}

function deeperThan(value: unknown, remaining: number): boolean {
  if (value === null || typeof value !== "object") return false;
  if (remaining <= 0) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (deeperThan(value[i], remaining - 1)) return true;
  } else {
    for (const key in value) {
      if (Object.hasOwn(value, key) && deeperThan((value as Record<string, unknown>)[key], remaining - 1)) return true;
    }
  }
  return false;
}

/**
 * JSON.parse for untrusted text: the nesting depth is checked first
 * (JSON_TOO_DEEP), and a syntax error names the position without quoting
 * the bytes around it, which may hold terminal escapes.
 */
export function parseJsonText(text: string, what: string, maxDepth = MAX_JSON_DEPTH): unknown {
  if (jsonTextTooDeep(text, maxDepth)) {
    throw new ProvenantError("JSON_TOO_DEEP", `${what} nests arrays or objects more than ${maxDepth} deep; expected a Sigstore bundle or DSSE envelope`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    throw new ProvenantError(
      "MALFORMED_JSON",
      `${what} is not valid JSON (syntax error${position ? ` at character ${position}` : ""}); expected a Sigstore bundle or DSSE envelope`,
      { cause: error },
    );
  }
}
