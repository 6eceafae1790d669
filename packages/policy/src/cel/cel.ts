import { parse } from "@marcbachmann/cel-js";
import { ProvenantError } from "@provenant/core";
import type { CelRule } from "../schema/policy-file.js";

/** Longer expressions are not reviewable policy any more; the cap also bounds parse work. */
const MAX_EXPRESSION_LENGTH = 4096;

export interface CompiledCel {
  rule: CelRule;
  /** True when the expression holds; a failure to evaluate (a missing field) is a failed rule, with why. */
  evaluate(input: Record<string, unknown>): { pass: boolean; reason: string };
}

/** Parses a CEL expression once, at load, so `policy check` finds syntax errors before any gate runs. */
export function compileCel(rule: CelRule, where: string): CompiledCel {
  if (rule.expr.length > MAX_EXPRESSION_LENGTH) {
    throw new ProvenantError("INVALID_POLICY", `${where}: CEL expression longer than ${MAX_EXPRESSION_LENGTH} characters`);
  }
  let program: ReturnType<typeof parse>;
  try {
    program = parse(rule.expr);
  } catch (cause) {
    const message = cause instanceof Error ? cause.message.split("\n")[0] : String(cause);
    throw new ProvenantError("INVALID_POLICY", `${where}: CEL does not parse: ${message}`, { cause });
  }
  return {
    rule,
    evaluate(input) {
      let value: unknown;
      try {
        value = program(input);
      } catch (cause) {
        const message = cause instanceof Error ? cause.message.split("\n")[0] : String(cause);
        return { pass: false, reason: `${rule.message} (CEL could not evaluate: ${message})` };
      }
      if (typeof value !== "boolean") {
        return { pass: false, reason: `${rule.message} (CEL returned ${typeof value}, expected a bool)` };
      }
      return { pass: value, reason: value ? `holds: ${rule.expr}` : rule.message };
    },
  };
}
