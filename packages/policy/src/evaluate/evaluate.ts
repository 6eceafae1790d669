import {
  type DigestSet,
  matchBranch,
  matchBuilderId,
  matchSourceUri,
  matchTag,
  matchVersionedTag,
  type RuleResult,
  SLSA_PROVENANCE_V1,
  type VerificationReport,
  verify,
} from "@provenant/core";
import picomatch from "picomatch";
import type { LoadedPolicy, LoadedRule, PolicyKey } from "../load/load.js";
import type { ProvenanceRules, Signers } from "../schema/policy-file.js";
import { type ExaminedAttestation, examineAttestation } from "./attestations.js";

export interface ArtifactUnderTest {
  /** Subject name (a path like `dist/app.tgz`), matched by `match.artifacts`. */
  name?: string;
  digest: DigestSet;
  /** Image reference without tag or digest (`registry.example/team/app`), matched by `match.images`. */
  image?: string;
}

export interface RuleCheck {
  name: string;
  pass: boolean;
  reason: string;
}

export interface RuleOutcome {
  rule: string;
  status: "pass" | "fail" | "not-applicable";
  reason: string;
  checks: RuleCheck[];
}

export interface PolicyDecision {
  allowed: boolean;
  reason: string;
  rules: RuleOutcome[];
  /** The provenance report of the candidate that decided each passing rule (first one), for renderers and VSAs. */
  report?: VerificationReport;
  /** Digests of the attestations a passing decision rested on. */
  inputAttestations: unknown[];
}

export interface EvaluateOptions {
  /** The time provenance age is measured against. */
  now: Date;
}

const glob = (patterns: readonly string[]) => picomatch([...patterns], { dot: true, noextglob: true });

function anyOf(patterns: readonly string[], one: (pattern: string) => RuleResult): RuleResult {
  const results = patterns.map(one);
  return results.find((r) => r.pass) ?? { pass: false, reason: results.map((r) => r.reason).join("; ") };
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
function durationSeconds(text: string): number {
  return Number(text.slice(0, -1)) * DURATION_UNITS[text.slice(-1)]!;
}

function signersKeys(policy: LoadedPolicy, signers: Signers | undefined): PolicyKey[] {
  return signers ? policy.keys.filter((k) => signers.keys.includes(k.name)) : policy.keys;
}

/** The provenance checks a rule asks for, each with its reason. */
function provenanceChecks(rules: ProvenanceRules | undefined, report: VerificationReport, now: Date): RuleCheck[] {
  const checks: RuleCheck[] = [];
  const add = (name: string, result: RuleResult) => checks.push({ name, ...result });
  const provenance = report.provenance!;
  const source = report.source;
  if (rules?.builderIds) add("builderId", anyOf(rules.builderIds, (id) => matchBuilderId(id, provenance.runDetails.builder.id)));
  if (rules?.buildTypes) {
    const actual = provenance.buildDefinition.buildType;
    const pass = glob(rules.buildTypes)(actual);
    add("buildType", { pass, reason: pass ? `buildType is ${actual}` : `buildType is ${actual}; expected ${rules.buildTypes.join(" or ")}` });
  }
  if (rules?.sourceUris) add("sourceUri", anyOf(rules.sourceUris, (uri) => matchSourceUri(uri, source)));
  if (rules?.branches) add("sourceBranch", anyOf(rules.branches, (b) => matchBranch(b, source)));
  if (rules?.tags) add("sourceTag", anyOf(rules.tags, (t) => matchTag(t, source)));
  if (rules?.versionedTag) add("sourceVersionedTag", matchVersionedTag(rules.versionedTag, source));
  if (rules?.minimumLevel !== undefined) {
    const { level, reason } = report.slsaLevel;
    add("slsaLevel", {
      pass: level >= rules.minimumLevel,
      reason: level >= rules.minimumLevel ? `SLSA Build L${level}: ${reason}` : `SLSA Build L${level}, policy requires L${rules.minimumLevel}: ${reason}`,
    });
  }
  if (rules?.maxAge) {
    const metadata = provenance.runDetails.metadata;
    const when = metadata?.startedOn ?? metadata?.finishedOn;
    const at = when ? Date.parse(when) : Number.NaN;
    if (Number.isNaN(at)) {
      add("maxAge", { pass: false, reason: `the provenance records no startedOn or finishedOn; policy requires at most ${rules.maxAge} old` });
    } else {
      const age = (now.getTime() - at) / 1000;
      const pass = age <= durationSeconds(rules.maxAge);
      add("maxAge", { pass, reason: pass ? `built ${when}, within ${rules.maxAge}` : `built ${when}, older than ${rules.maxAge}` });
    }
  }
  return checks;
}

/** The document CEL expressions and Rego modules read; the same in every mode (documented in the README). */
export interface PolicyInput {
  statement: unknown;
  predicate: unknown;
  subject: { name?: string; digest: DigestSet; image?: string };
  report: Omit<VerificationReport, "statement" | "provenance"> | null;
  /** Verified evidence about the artifact, by predicate type: each a list of predicates. */
  evidence: Record<string, unknown[]>;
}

function inputFor(artifact: ArtifactUnderTest, report: VerificationReport | undefined, evidence: Record<string, unknown[]>): PolicyInput {
  const { statement, provenance: _p, ...rest } = report ?? {};
  return {
    statement: statement ?? null,
    predicate: statement?.predicate ?? null,
    subject: { ...artifact },
    report: report ? (rest as PolicyInput["report"]) : null,
    evidence,
  };
}

async function customChecks(loaded: LoadedRule, input: PolicyInput): Promise<RuleCheck[]> {
  const checks: RuleCheck[] = loaded.cel.map((cel) => ({ name: "cel", ...cel.evaluate(input as unknown as Record<string, unknown>) }));
  for (const rego of loaded.rego) {
    try {
      const decision = await rego.evaluate(input);
      checks.push({ name: "rego", pass: decision.pass, reason: decision.pass ? `${rego.description}: no denials` : decision.messages.join("; ") });
    } catch (error) {
      checks.push({ name: "rego", pass: false, reason: `${rego.description}: ${(error as Error).message}` });
    }
  }
  return checks;
}

function evidenceChecks(policy: LoadedPolicy, loaded: LoadedRule, attestations: readonly ExaminedAttestation[], artifact: ArtifactUnderTest): RuleCheck[] {
  return loaded.evidence.map(({ requirement, cel }) => {
    const allowed = new Set(signersKeys(policy, requirement.signers).map((k) => k.name));
    const threshold = requirement.signers?.threshold ?? 1;
    const ofType = attestations.filter((a) => a.predicateType === requirement.predicateType);
    const reasons: string[] = [];
    for (const attestation of ofType) {
      const signers = attestation.signedBy.filter((name) => allowed.has(name));
      if (signers.length < threshold) {
        reasons.push(`one is signed by ${attestation.signedBy.join(", ") || "no trusted key"}; expected ${threshold} of ${[...allowed].join(", ")}`);
        continue;
      }
      if (!attestation.aboutArtifact) {
        reasons.push("one is about another artifact");
        continue;
      }
      const input = { statement: attestation.statement, predicate: attestation.statement?.predicate, subject: { ...artifact } };
      const failed = cel.map((c) => c.evaluate(input)).filter((r) => !r.pass);
      if (failed.length === 0) {
        return { name: "evidence", pass: true, reason: `${requirement.predicateType} signed by ${signers.join(", ")}` };
      }
      reasons.push(failed.map((r) => r.reason).join("; "));
    }
    return {
      name: "evidence",
      pass: false,
      reason:
        ofType.length === 0
          ? `no ${requirement.predicateType} attestation for the artifact`
          : `${requirement.predicateType}: ${reasons.join("; ")}`,
    };
  });
}

/**
 * Evaluates every rule of a policy for one artifact and its evidence. Pure
 * apart from Rego's I/O modes; explains every rule; a malformed attestation
 * fails the rules that needed it, never the evaluation. An artifact no rule
 * applies to is denied: a policy that says nothing allows nothing.
 */
export async function evaluatePolicy(
  policy: LoadedPolicy,
  artifact: ArtifactUnderTest,
  documents: readonly unknown[],
  options: EvaluateOptions,
): Promise<PolicyDecision> {
  const attestations = documents.map((document) => examineAttestation(document, policy.keys, artifact.digest));
  const evidence: Record<string, unknown[]> = {};
  for (const a of attestations) {
    if (a.signedBy.length > 0 && a.aboutArtifact && a.predicateType && a.predicateType !== SLSA_PROVENANCE_V1) {
      const list = evidence[a.predicateType] ?? [];
      list.push(a.statement!.predicate);
      evidence[a.predicateType] = list;
    }
  }
  const provenanceDocuments = attestations.filter((a) => a.predicateType === SLSA_PROVENANCE_V1 || a.statement === undefined);

  const verifiedBySigners = new Map<string, { attestation: ExaminedAttestation; report: VerificationReport }[]>();
  const outcomes: RuleOutcome[] = [];
  let decidingReport: VerificationReport | undefined;
  const used = new Set<unknown>();
  for (const loaded of policy.rules) {
    const { rule } = loaded;
    const notApplicable = (reason: string) => outcomes.push({ rule: rule.name, status: "not-applicable", reason, checks: [] });
    if (rule.match?.artifacts && !(artifact.name && glob(rule.match.artifacts)(artifact.name))) {
      notApplicable(`artifact ${artifact.name ?? "(unnamed)"} does not match ${rule.match.artifacts.join(", ")}`);
      continue;
    }
    if (rule.match?.images && !(artifact.image && glob(rule.match.images)(artifact.image))) {
      notApplicable(`image ${artifact.image ?? "(not an image)"} does not match ${rule.match.images.join(", ")}`);
      continue;
    }

    const needsProvenance = rule.provenance !== undefined || loaded.cel.length > 0 || loaded.rego.length > 0 || rule.match?.repositories !== undefined;
    const evidenceResults = evidenceChecks(policy, loaded, attestations, artifact);
    if (!needsProvenance) {
      const failed = evidenceResults.filter((c) => !c.pass);
      outcomes.push({
        rule: rule.name,
        status: failed.length === 0 ? "pass" : "fail",
        reason: failed.length === 0 ? "all required evidence present" : failed.map((c) => c.reason).join("; "),
        checks: evidenceResults,
      });
      continue;
    }

    const keys = signersKeys(policy, rule.provenance?.signers);
    const threshold = rule.provenance?.signers?.threshold ?? 1;
    // Rules that trust the same signers share one verification of each document.
    const cacheKey = `${threshold}:${keys.map((k) => k.keyId).join(",")}`;
    let reports = verifiedBySigners.get(cacheKey);
    if (!reports) {
      reports = provenanceDocuments.map((a) => ({
        attestation: a,
        report: verify(a.document, { trustedKeys: keys, threshold, artifactDigests: [artifact.digest] }),
      }));
      verifiedBySigners.set(cacheKey, reports);
    }
    const passing = reports.filter((r) => r.report.verified);
    const inRepository = rule.match?.repositories
      ? passing.filter((r) => r.report.source && glob(rule.match!.repositories!)(r.report.source.repository))
      : passing;
    if (rule.match?.repositories && inRepository.length === 0) {
      notApplicable(
        passing.length === 0
          ? `no verified provenance to read a repository from (rule matches ${rule.match.repositories.join(", ")})`
          : `verified provenance comes from ${passing.map((r) => r.report.source?.repository ?? "no recorded source").join(", ")}, not ${rule.match.repositories.join(", ")}`,
      );
      continue;
    }
    if (inRepository.length === 0) {
      const why = reports.map((r) => r.report.checks.find((c) => c.status === "fail")?.reason).filter(Boolean);
      outcomes.push({
        rule: rule.name,
        status: "fail",
        reason: why.length > 0 ? `no provenance verifies: ${why.join("; ")}` : "no SLSA provenance for the artifact",
        checks: [{ name: "provenance", pass: false, reason: why.join("; ") || "no SLSA provenance given" }, ...evidenceResults],
      });
      continue;
    }
    // The first candidate that satisfies every check decides; otherwise the one closest to passing explains.
    let best: { checks: RuleCheck[]; report: VerificationReport; document: unknown } | undefined;
    for (const candidate of inRepository) {
      const input = inputFor(artifact, candidate.report, evidence);
      const checks = [
        { name: "provenance", pass: true, reason: `signed by ${candidate.report.signedBy.join(", ")}; subject matches` },
        ...provenanceChecks(rule.provenance, candidate.report, options.now),
        ...evidenceResults,
        ...(await customChecks(loaded, input)),
      ];
      const failing = checks.filter((c) => !c.pass).length;
      if (!best || failing < best.checks.filter((c) => !c.pass).length) {
        best = { checks, report: candidate.report, document: candidate.attestation.document };
      }
      if (failing === 0) break;
    }
    const failed = best!.checks.filter((c) => !c.pass);
    if (failed.length === 0) {
      decidingReport ??= best!.report;
      used.add(best!.document);
    }
    outcomes.push({
      rule: rule.name,
      status: failed.length === 0 ? "pass" : "fail",
      reason: failed.length === 0 ? `${best!.checks.length} check(s) pass` : failed.map((c) => c.reason).join("; "),
      checks: best!.checks,
    });
  }

  const applicable = outcomes.filter((o) => o.status !== "not-applicable");
  const allowed = applicable.length > 0 && applicable.every((o) => o.status === "pass");
  return {
    allowed,
    reason:
      applicable.length === 0
        ? "no rule of the policy applies to this artifact; a policy allows only what a rule covers"
        : allowed
          ? `${applicable.length} rule(s) pass`
          : `${applicable.filter((o) => o.status === "fail").length} of ${applicable.length} applicable rule(s) fail`,
    rules: outcomes,
    ...(decidingReport ? { report: decidingReport } : {}),
    inputAttestations: [...used],
  };
}
