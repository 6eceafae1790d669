import { checkTitle, type VerificationReport } from "@provenant/core";
import type { Io } from "../io.js";
import { printable } from "./escape.js";
import { styler } from "./style.js";

/** One line per check, PASS/FAIL first so that logs grep well. */
export function renderReport(report: VerificationReport, io: Io): string {
  const s = styler(io);
  const lines = report.checks.map((check) => {
    const mark = check.status === "pass" ? s.green("PASS") : s.red("FAIL");
    const code = check.code ? ` [${check.code}]` : "";
    return `${mark}  ${checkTitle(check.id).padEnd(18)} ${printable(check.reason)}${code}`;
  });
  lines.push(`SLSA Build L${report.slsaLevel.level}: ${printable(report.slsaLevel.reason)}`);
  const failed = report.checks.filter((c) => c.status === "fail").length;
  lines.push(report.verified ? s.bold(s.green("VERIFIED")) : s.bold(s.red(`NOT VERIFIED: ${failed} check(s) failed`)));
  return `${lines.join("\n")}\n`;
}
