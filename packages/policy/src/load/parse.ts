import { ProvenantError, parseWith } from "@provenant/core";
import { LineCounter, parseDocument } from "yaml";
import { type PolicyFile, PolicyFileSchema } from "../schema/policy-file.js";

/** A policy is a reviewed file of a few kilobytes; anything near this is not one. */
export const MAX_POLICY_BYTES = 1024 * 1024;
const MAX_DEPTH = 32;

function depthOf(value: unknown, limit: number): number {
  // Iterative, so a hostile document cannot overflow the stack before the cap applies.
  const stack: [unknown, number][] = [[value, 1]];
  let deepest = 0;
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== "object") continue;
    deepest = Math.max(deepest, depth);
    if (deepest > limit) return deepest;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/**
 * Parses a policy file's text (YAML or JSON; JSON is YAML) into a checked
 * policy. Pure: key files and Rego modules are resolved by `loadPolicy`.
 */
export function parsePolicyFile(text: string, source: string): PolicyFile {
  if (Buffer.byteLength(text) > MAX_POLICY_BYTES) {
    throw new ProvenantError("INVALID_POLICY", `${source}: larger than ${MAX_POLICY_BYTES} bytes; expected a policy file`);
  }
  // YAML aliases are refused outright: a policy has no need for them, and
  // they are how "billion laughs" documents grow.
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: false, lineCounter });
  if (document.errors.length > 0) {
    const first = document.errors[0]!;
    const line = lineCounter.linePos(first.pos[0]).line;
    throw new ProvenantError(
      "INVALID_POLICY",
      `${source}${line ? ` line ${line}` : ""}: not valid YAML or JSON (${first.code}); expected a policy file`,
    );
  }
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: 0 });
  } catch (cause) {
    throw new ProvenantError("INVALID_POLICY", `${source}: uses YAML aliases (*name); write the values out instead`, { cause });
  }
  if (depthOf(value, MAX_DEPTH) > MAX_DEPTH) {
    throw new ProvenantError("INVALID_POLICY", `${source}: nested deeper than ${MAX_DEPTH} levels; expected a policy file`);
  }
  return parseWith(PolicyFileSchema, value, "INVALID_POLICY", source);
}
