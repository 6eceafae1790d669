import type { PushResult } from "@provenant/oci";
import {
  checkTitle,
  markdownCodeBlock,
  markdownCode as code,
  markdownText as text,
  parseProvenance,
  type ProvenanceFields,
  refSeparatorIndex,
  sourceOf,
  type Subject,
  type VerificationReport,
} from "@provenant/core";

// A job summary holds at most 1 MiB; thousands of subjects would not fit.
const SUBJECT_ROWS = 50;

/** Quotes an argument for a POSIX shell, for a command the reader copies. */
function shellQuote(value: string): string {
  return /^[\w@%+=:,./^-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The command that checks the bundle file, or with `image` the copy stored beside that image. */
export function verifyCommandFor(
  subjects: readonly Subject[],
  bundlePath: string,
  provenance: ProvenanceFields,
  image?: string,
  key: readonly string[] = ["--key", "provenant.pub"],
): string {
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
    ...key,
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
    .map((s) => `| ${text(s.name ?? "")} | ${code(Object.entries(s.digest).map(([a, h]) => `${a}:${h}`).join(" "))} |`);
  const more = subjects.length > SUBJECT_ROWS ? [`| … and ${subjects.length - SUBJECT_ROWS} more | |`] : [];
  const service = facts.factsSource === "service-oidc-token";
  const trust = service
    ? "Built and signed by the signing service from the job's verified OIDC token, with a key no step can read (SLSA Build L3 on GitHub-hosted runners when verified with `--service-key`)."
    : facts.factsSource === "oidc-token"
      ? "Source and builder come from the job's verified OIDC token (SLSA Build L2 when verified with this key)."
      : "Source and builder come from environment variables (no `id-token: write`), so verification grants SLSA Build L1 only.";
  // The service's public key is its signing.pub; a user key is the project's provenant.pub.
  const key = service ? ["--service-key", "signing.pub", "--slsa-level", "3"] : ["--key", "provenant.pub"];
  return [
    "## Provenance attested",
    "",
    `Signed ${subjects.length} subject(s) with key ${code(facts.keyId)} into ${code(facts.bundlePath)}.`,
    trust,
    "",
    "| Subject | Digest |",
    "| --- | --- |",
    ...rows,
    ...more,
    "",
    "Verify it:",
    "",
    ...markdownCodeBlock("sh", [
      verifyCommandFor(subjects, facts.bundlePath, facts.provenance, undefined, key),
      ...pushed.map((p) => verifyCommandFor(subjects, facts.bundlePath, facts.provenance, p.image, key)),
    ]),
    "",
    ...pushed.map((p) => `Pushed attestation ${code(p.attestation)} beside ${code(p.image)} (${text(p.via)}).`),
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
  const where = "image" in checked ? `Attestations of image ${code(checked.image)}` : `Bundle ${code(checked.bundlePath)}`;
  const rows = report.checks.map((check) => `| ${check.status === "pass" ? "✅" : "❌"} | ${text(checkTitle(check.id))} | ${text(check.reason)} |`);
  const failed = "image" in checked ? (checked.failed ?? []) : [];
  const shown = "image" in checked && checked.attestation ? [`Checks of the closest attestation, ${code(checked.attestation)}:`, ""] : [];
  return [
    `## Provenance ${report.verified ? "verified" : "NOT verified"}`,
    "",
    `${where}: SLSA Build L${report.slsaLevel.level} (${text(report.slsaLevel.reason)}).`,
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
          ...failed.map((a) => `| ${code(a.attestation)} | ${a.failures.map((reason) => text(reason)).join("<br>")} |`),
          "",
        ]
      : []),
  ].join("\n");
}
