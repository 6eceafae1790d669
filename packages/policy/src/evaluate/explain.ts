import type { PolicyDecision } from "./evaluate.js";

/**
 * The per-rule explanation every gate prints (CLI, job summaries, logs), as
 * lines of plain text. Callers escape them for their terminal or log: the
 * reasons quote values from the evidence.
 */
export function explainDecision(decision: PolicyDecision): string[] {
  const lines: string[] = [];
  for (const rule of decision.rules) {
    const mark = rule.status === "pass" ? "PASS" : rule.status === "fail" ? "FAIL" : "N/A ";
    lines.push(`${mark}  rule ${rule.rule}: ${rule.reason}`);
    for (const check of rule.checks) {
      lines.push(`      ${check.pass ? "pass" : "FAIL"}  ${check.name.padEnd(18)} ${check.reason}`);
    }
  }
  if (decision.report) lines.push(`SLSA Build L${decision.report.slsaLevel.level}: ${decision.report.slsaLevel.reason}`);
  lines.push(decision.allowed ? `ALLOWED: ${decision.reason}` : `DENIED: ${decision.reason}`);
  return lines;
}
