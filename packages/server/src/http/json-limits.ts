import { ProvenantError } from "@provenant/core";

/**
 * Nesting depth of a parsed JSON value, counted without recursion so that a
 * hostile document cannot exhaust the stack while being measured. Stops as
 * soon as `limit` is passed.
 */
function depthExceeds(value: unknown, limit: number): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (current === null || typeof current !== "object") continue;
    if (depth + 1 > limit) return true;
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (child !== null && typeof child === "object") stack.push({ value: child, depth: depth + 1 });
    }
  }
  return false;
}

const UPLOAD = "a Sigstore bundle, a DSSE envelope or .intoto.jsonl lines";

function parseOne(text: string, where: string, maxDepth: number, expected = UPLOAD): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new ProvenantError("MALFORMED_JSON", `${where} is not valid JSON (${(cause as Error).message}); expected ${expected}`, { cause });
  }
  if (depthExceeds(value, maxDepth)) {
    throw new ProvenantError("MALFORMED_JSON", `${where} nests deeper than ${maxDepth} levels; expected ${expected}`);
  }
  return value;
}

/**
 * Reads an upload body: one JSON document (bundle or envelope), or JSON
 * Lines (`.intoto.jsonl`, one envelope a line). Every line is parsed and
 * depth-checked before anything is stored.
 */
export function parseUploadBody(text: string, maxDepth: number): unknown[] {
  const trimmed = text.trim();
  if (trimmed === "") throw new ProvenantError("MALFORMED_JSON", "the request body is empty; expected a Sigstore bundle, a DSSE envelope or .intoto.jsonl lines");
  try {
    return [parseOne(trimmed, "the request body", maxDepth)];
  } catch (error) {
    const lines = trimmed.split(/\r?\n/).filter((line) => line.trim() !== "");
    if (lines.length < 2) throw error;
    return lines.map((line, i) => parseOne(line, `line ${i + 1} of the request body`, maxDepth));
  }
}

/** One JSON document; `expected` names what the route takes, for the error message. */
export function parseJsonBody(text: string, maxDepth: number, expected?: string): unknown {
  return parseOne(text, "the request body", maxDepth, expected);
}
