import { checkTitle, printable, type VerificationReport } from "@provenant/core";
import type { Io } from "../io.js";
import { styler } from "./style.js";

/** One line per check, PASS/FAIL first so that logs grep well. Every value from the document is escaped. */
export function renderReport(report: VerificationReport, io: Io): string {
  const s = styler(io);
  const lines: string[] = [];
  for (const check of report.checks) {
    const mark = check.status === "pass" ? s.green("PASS") : s.red("FAIL");
    const code = check.code ? ` [${check.code}]` : "";
    lines.push(`${mark}  ${checkTitle(check.id).padEnd(18)} ${printable(check.reason)}${code}`);
    // A subject mismatch names each artifact on a line of its own.
    if ((check.artifacts?.length ?? 0) > 1) {
      for (const artifact of check.artifacts!) {
        lines.push(`      not a subject: ${printable(artifact.name ?? "(by --digest)")} ${printable(artifact.digest)}`);
      }
    }
  }
  for (const note of report.notes ?? []) lines.push(`${s.yellow("NOTE")}  ${printable(note)}`);
  lines.push(`SLSA Build L${report.slsaLevel.level}: ${printable(report.slsaLevel.reason)}`);
  const failed = report.checks.filter((c) => c.status === "fail").length;
  lines.push(report.verified ? s.bold(s.green("VERIFIED")) : s.bold(s.red(`NOT VERIFIED: ${failed} check(s) failed`)));
  return `${lines.join("\n")}\n`;
}
