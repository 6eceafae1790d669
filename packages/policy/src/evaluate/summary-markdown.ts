import { markdownCode as code, markdownText as text } from "@provenant/core";
import type { ArtifactDecision } from "./artifacts.js";
import { artifactLabel } from "./explain.js";

/** Artifacts shown in full; a job summary holds at most 1 MiB, and the log lists every one. */
export const SUMMARY_ARTIFACTS = 50;

const RULE_MARK = { pass: "✅", fail: "❌", "not-applicable": "➖" } as const;

export interface PolicySummaryFacts {
  /** The policy file as the user named it. */
  policyPath: string;
  policyDigest: { sha256: string };
  decisions: readonly ArtifactDecision[];
  allowed: boolean;
}

/**
 * The Markdown summary of a policy gate (the GitHub job summary, the Azure
 * Pipelines summary tab): per artifact its decision, then a table of every
 * rule and its checks with their reasons. Rule names and messages come from
 * the policy and the evidence, artifact names from the workspace: all of it
 * goes through core's `markdownText`/`markdownCode`, so none of it can link,
 * format or leave its table cell.
 */
export function policySummaryMarkdown(facts: PolicySummaryFacts, options: { maxArtifacts?: number } = {}): string {
  const max = options.maxArtifacts ?? SUMMARY_ARTIFACTS;
  // Denied artifacts first: they are what the reader came for when the summary is cut.
  const ordered = [...facts.decisions].sort((a, b) => Number(a.decision.allowed) - Number(b.decision.allowed));
  const more = ordered.length > max ? [`… and ${ordered.length - max} more artifact(s); the job log lists every one.`, ""] : [];
  const sections = ordered.slice(0, max).flatMap(({ artifact, decision }) => [
    `### ${decision.allowed ? "✅" : "❌"} ${code(artifactLabel(artifact))}: ${decision.allowed ? "allowed" : "DENIED"}`,
    "",
    `${text(decision.reason)}${decision.report ? ` SLSA Build L${decision.report.slsaLevel.level} (${text(decision.report.slsaLevel.reason)}).` : ""}`,
    "",
    "| | Rule | Check | Result |",
    "| --- | --- | --- | --- |",
    ...decision.rules.flatMap((rule) => [
      `| ${RULE_MARK[rule.status]} | ${text(rule.rule)} | | ${rule.status === "not-applicable" ? "not applicable: " : ""}${text(rule.reason)} |`,
      ...rule.checks.map((check) => `| ${check.pass ? "✅" : "❌"} | | ${text(check.name)} | ${text(check.reason)} |`),
    ]),
    "",
  ]);
  return [
    `## Policy ${facts.allowed ? "allowed" : "DENIED"}`,
    "",
    `Policy ${code(facts.policyPath)} (${code(`sha256:${facts.policyDigest.sha256}`)}), ${facts.decisions.length} artifact(s).`,
    "",
    ...sections,
    ...more,
  ].join("\n");
}
