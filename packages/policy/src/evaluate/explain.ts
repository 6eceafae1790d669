import type { ArtifactDecision } from "./artifacts.js";
import type { ArtifactUnderTest, PolicyDecision } from "./evaluate.js";

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

/** How an artifact is named in explanations and summaries: its name, else its digest. */
export function artifactLabel(artifact: ArtifactUnderTest): string {
  if (artifact.name) return artifact.name;
  const [algorithm, hex] = Object.entries(artifact.digest)[0] ?? ["sha256", ""];
  return `${algorithm}:${hex}`;
}

/**
 * The explanation of a whole gate, as the CLI, the GitHub action and the
 * Azure task print it: per artifact a line `artifact NAME`, then its
 * `explainDecision` lines indented by two spaces. Every artifact's lines
 * start with text of ours, so a file named `::error::…` or `##vso[…` does not
 * start a line; callers still escape each line for their terminal or log.
 */
export function explainDecisions(decisions: readonly ArtifactDecision[]): string[] {
  return decisions.flatMap(({ artifact, decision }) => [`artifact ${artifactLabel(artifact)}`, ...explainDecision(decision).map((line) => `  ${line}`)]);
}
