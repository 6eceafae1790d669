import type { PushResult } from "@provenant/oci";
import {
  checkTitle,
  parseProvenance,
  type ProvenanceFields,
  refSeparatorIndex,
  sourceOf,
  type Subject,
  type VerificationReport,
} from "@provenant/core";

// A job summary holds at most 1 MiB; thousands of subjects would not fit.
const SUBJECT_ROWS = 50;

/** Text inside a table cell: no column breaks, no HTML. */
function cell(text: string): string {
  return text.replace(/[|\\`<>]/g, (c) => `\\${c}`).replace(/\r?\n/g, " ");
}

/** Quotes an argument for a POSIX shell, for a command the reader copies. */
function shellQuote(value: string): string {
  return /^[\w@%+=:,./^-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The command that checks the bundle file, or with `image` the copy stored beside that image. */
export function verifyCommandFor(subjects: readonly Subject[], bundlePath: string, provenance: ProvenanceFields, image?: string): string {
  const source = sourceOf(parseProvenance(provenance));
  // Split where verify's --builder-id matching does: a changesets tag
  // (`…@refs/tags/@scope/pkg@1.0.0`) holds "@" itself.
  const builderId = provenance.runDetails.builder.id;
  const at = refSeparatorIndex(builderId);
  const builderName = at >= 0 ? builderId.slice(0, at) : builderId;
  const artifact = subjects.length === 1 && subjects[0]?.name ? subjects[0].name : "ARTIFACT";
  const args = [
    "provenant",
    "verify",
    ...(image ? ["--image", image] : [artifact, "--bundle", bundlePath]),
    "--key",
    "provenant.pub",
    "--builder-id",
    builderName,
    ...(source ? ["--source-uri", source.repository] : []),
    ...(source?.tag ? ["--source-tag", source.tag] : source?.branch ? ["--source-branch", source.branch] : []),
  ];
  return args.map(shellQuote).join(" ");
}

export function attestSummary(facts: {
  subjects: readonly Subject[];
  bundlePath: string;
  keyId: string;
  factsSource: string;
  provenance: ProvenanceFields;
  pushed?: readonly PushResult[];
}): string {
  const { subjects, pushed = [] } = facts;
  const rows = subjects
    .slice(0, SUBJECT_ROWS)
    .map((s) => `| ${cell(s.name ?? "")} | \`${cell(Object.entries(s.digest).map(([a, h]) => `${a}:${h}`).join(" "))}\` |`);
  const more = subjects.length > SUBJECT_ROWS ? [`| … and ${subjects.length - SUBJECT_ROWS} more | |`] : [];
  const trust =
    facts.factsSource === "oidc-token"
      ? "Source and builder come from the job's verified OIDC token (SLSA Build L2 when verified with this key)."
      : "Source and builder come from environment variables (no `id-token: write`), so verification grants SLSA Build L1 only.";
  return [
    "## Provenance attested",
    "",
    `Signed ${subjects.length} subject(s) with key \`${facts.keyId}\` into \`${cell(facts.bundlePath)}\`.`,
    trust,
    "",
    "| Subject | Digest |",
    "| --- | --- |",
    ...rows,
    ...more,
    "",
    "Verify it:",
    "",
    "```sh",
    verifyCommandFor(subjects, facts.bundlePath, facts.provenance),
    ...pushed.map((p) => verifyCommandFor(subjects, facts.bundlePath, facts.provenance, p.image)),
    "```",
    "",
    ...pushed.map((p) => `Pushed attestation \`${p.attestation}\` beside \`${cell(p.image)}\` (${cell(p.via)}).`),
    ...(pushed.length > 0 ? [""] : []),
  ].join("\n");
}

/** An attestation stored beside an image that did not verify, and why. */
export interface FailedAttestation {
  attestation: string;
  failures: readonly string[];
}

/**
 * `checked` names where the provenance came from: a bundle file or an
 * image's registry. For an image none of whose attestations verified,
 * `attestation` is the one the table shows and `failed` lists each one's
 * reasons.
 */
export function verifySummary(
  report: VerificationReport,
  checked: { bundlePath: string } | { image: string; attestation?: string; failed?: readonly FailedAttestation[] },
): string {
  const where = "image" in checked ? `Attestations of image \`${cell(checked.image)}\`` : `Bundle \`${cell(checked.bundlePath)}\``;
  const rows = report.checks.map((check) => `| ${check.status === "pass" ? "✅" : "❌"} | ${checkTitle(check.id)} | ${cell(check.reason)} |`);
  const failed = "image" in checked ? (checked.failed ?? []) : [];
  const shown = "image" in checked && checked.attestation ? [`Checks of the closest attestation, \`${cell(checked.attestation)}\`:`, ""] : [];
  return [
    `## Provenance ${report.verified ? "verified" : "NOT verified"}`,
    "",
    `${where}: SLSA Build L${report.slsaLevel.level} (${cell(report.slsaLevel.reason)}).`,
    "",
    ...shown,
    "| | Check | Result |",
    "| --- | --- | --- |",
    ...rows,
    "",
    ...(failed.length > 0
      ? [
          `None of the ${failed.length} attestation(s) stored beside the image verified:`,
          "",
          "| Attestation | Failed checks |",
          "| --- | --- |",
          ...failed.map((a) => `| \`${cell(a.attestation)}\` | ${a.failures.map((reason) => cell(reason)).join("<br>")} |`),
          "",
        ]
      : []),
  ].join("\n");
}
