import {
  type Check,
  type CheckId,
  type DigestSet,
  matchBranch,
  matchBuildInputs,
  matchBuilderId,
  matchHostedRunner,
  matchSourceCommit,
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
import { checkLogProof, type LogProofResult } from "./log-proof.js";

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
  /**
   * For a rule that checks provenance: each candidate attestation's
   * verification report (core's checks, then this rule's provenance checks
   * with core's check ids, then the log proof), in document order. Renderers
   * of core reports (the CLI's flag mode) show these; CEL, Rego, evidence and
   * maxAge are in `checks` only.
   */
  reports?: VerificationReport[];
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
  /**
   * Further artifacts the same provenance must name as well: one attestation
   * covers them all (the CLI's flag mode, where one bundle attests a whole
   * release, as slsa-verifier checks it). Rules match on `artifact`.
   */
  alsoNamed?: readonly ArtifactUnderTest[];
  /**
   * Every document is a candidate of every provenance rule, whatever its
   * predicate type, so `RuleOutcome.reports` holds one report per document,
   * in order (the CLI's flag mode, which reports on every envelope given).
   */
  everyDocument?: boolean;
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

/** Rule checks that are also core check ids: they go into the candidate's report as core would put them. */
const CORE_RULE_CHECKS: ReadonlySet<string> = new Set<CheckId>([
  "builderId",
  "buildType",
  "sourceUri",
  "sourceBranch",
  "sourceTag",
  "sourceVersionedTag",
  "sourceCommit",
  "buildInputs",
  "hostedRunner",
  "slsaLevel",
]);

/** The provenance checks a rule asks for, each with its reason, in the order core's verify reports them. */
function provenanceChecks(rules: ProvenanceRules | undefined, report: VerificationReport, now: Date): RuleCheck[] {
  const checks: RuleCheck[] = [];
  const add = (name: string, result: RuleResult) => checks.push({ name, ...result });
  const provenance = report.provenance!;
  const source = report.source;
  if (rules?.builderIds) add("builderId", anyOf(rules.builderIds, (id) => matchBuilderId(id, provenance.runDetails.builder.id)));
  if (rules?.buildTypes) {
    const actual = provenance.buildDefinition.buildType;
    // Equal, or matching as a glob: a buildType from --build-type is compared exactly, as before.
    const pass = rules.buildTypes.includes(actual) || glob(rules.buildTypes)(actual);
    add("buildType", { pass, reason: pass ? `buildType is ${actual}` : `buildType is ${actual}; expected ${rules.buildTypes.join(" or ")}` });
  }
  if (rules?.sourceUris) add("sourceUri", anyOf(rules.sourceUris, (uri) => matchSourceUri(uri, source)));
  if (rules?.branches) add("sourceBranch", anyOf(rules.branches, (b) => matchBranch(b, source)));
  if (rules?.tags) add("sourceTag", anyOf(rules.tags, (t) => matchTag(t, source)));
  if (rules?.versionedTag) add("sourceVersionedTag", matchVersionedTag(rules.versionedTag, source));
  if (rules?.sourceCommit) add("sourceCommit", matchSourceCommit(rules.sourceCommit, source));
  if (rules?.buildInputs) add("buildInputs", matchBuildInputs(rules.buildInputs, provenance));
  if (rules?.denySelfHosted) add("hostedRunner", matchHostedRunner(provenance));
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

/** The provenance fields of a rule, by the names core's verify uses for them, in its order. */
const PROVENANCE_FIELDS: [keyof ProvenanceRules, string, string][] = [
  ["builderIds", "builderId", "builderId"],
  ["buildTypes", "buildType", "buildType"],
  ["sourceUris", "sourceUri", "sourceUri"],
  ["branches", "sourceBranch", "sourceBranch"],
  ["tags", "sourceTag", "sourceTag"],
  ["versionedTag", "sourceVersionedTag", "sourceVersionedTag"],
  ["sourceCommit", "sourceCommit", "sourceCommit"],
  ["buildInputs", "buildInputs", "buildInputs"],
  ["denySelfHosted", "hostedRunner", "denySelfHosted"],
  ["maxAge", "maxAge", "maxAge"],
];

/** For a rule about another predicate type: each provenance field fails, as it cannot be checked (core's wording). */
function unverifiableChecks(rules: ProvenanceRules | undefined, predicateType: string): RuleCheck[] {
  return PROVENANCE_FIELDS.filter(([field]) => rules?.[field] !== undefined && rules?.[field] !== false).map(([, name, key]) => ({
    name,
    pass: false,
    reason: `the statement is ${predicateType}, not SLSA provenance; ${key} cannot be checked`,
  }));
}

const ANY_SOURCE_NOTE = "no source repository or builder id was required";
const TLOG_NOTE = "transparency log entr";

interface Candidate {
  index: number;
  document: unknown;
  /** Core's report with the rule's checks merged in. */
  report: VerificationReport;
  /** Core's report alone: what CEL and Rego read as `report` (the same for every rule). */
  base: VerificationReport;
  /** Signature, statement, subjects (and the log proof, when the policy names a log) all hold. */
  ok: boolean;
  /** Why not, when not ok. */
  problem?: string;
  /** The rule's provenance checks. */
  checks: RuleCheck[];
}

/**
 * One candidate's report as core's verify would give it with the rule as its
 * policy: the rule's checks follow core's own, with core's ids and codes,
 * and the log proof comes last (as `verify --server` adds it).
 */
function candidateOf(
  index: number,
  document: unknown,
  base: VerificationReport,
  rules: ProvenanceRules | undefined,
  wanted: string,
  log: LogProofResult | undefined,
  now: Date,
): Candidate {
  const checks: Check[] = [...base.checks];
  let notes = [...(base.notes ?? [])];
  let ruleChecks: RuleCheck[] = [];
  if (base.provenance) {
    ruleChecks = provenanceChecks(rules, base, now);
    if (rules?.sourceUris || rules?.builderIds) notes = notes.filter((n) => !n.startsWith(ANY_SOURCE_NOTE));
  } else if (wanted !== SLSA_PROVENANCE_V1 && base.checks.some((c) => c.id === "predicateType" && c.status === "pass")) {
    ruleChecks = unverifiableChecks(rules, wanted);
  }
  for (const check of ruleChecks) {
    if (!CORE_RULE_CHECKS.has(check.name)) continue;
    checks.push({ id: check.name as CheckId, status: check.pass ? "pass" : "fail", reason: check.reason, ...(check.pass ? {} : { code: "POLICY_DENIED" }) });
  }
  if (log) {
    checks.push({ id: "transparencyLog", status: log.pass ? "pass" : "fail", reason: log.reason, ...(log.code && !log.pass ? { code: log.code } : {}) });
    // Core notes tlog entries as unchecked; here they were checked.
    if (log.pass) notes = notes.filter((n) => !n.includes(TLOG_NOTE));
  }
  const report: VerificationReport = {
    ...base,
    verified: checks.length > 0 && checks.every((c) => c.status === "pass"),
    checks,
    notes,
  };
  const baseFailure = base.checks.find((c) => c.status === "fail");
  const problem = baseFailure ? baseFailure.reason : log && !log.pass ? log.reason : undefined;
  return { index, document, report, base, ok: problem === undefined, checks: ruleChecks, ...(problem !== undefined ? { problem } : {}) };
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

function evidenceChecks(
  policy: LoadedPolicy,
  loaded: LoadedRule,
  attestations: readonly ExaminedAttestation[],
  artifact: ArtifactUnderTest,
  logOf: (index: number) => LogProofResult | undefined,
): RuleCheck[] {
  return loaded.evidence.map(({ requirement, cel }) => {
    const allowed = new Set(signersKeys(policy, requirement.signers).map((k) => k.name));
    const threshold = requirement.signers?.threshold ?? 1;
    const reasons: string[] = [];
    let ofType = 0;
    for (const [index, attestation] of attestations.entries()) {
      if (attestation.predicateType !== requirement.predicateType) continue;
      ofType++;
      const signers = attestation.signedBy.filter((name) => allowed.has(name));
      if (signers.length < threshold) {
        reasons.push(`one is signed by ${attestation.signedBy.join(", ") || "no trusted key"}; expected ${threshold} of ${[...allowed].join(", ")}`);
        continue;
      }
      if (!attestation.aboutArtifact) {
        reasons.push("one is about another artifact");
        continue;
      }
      const log = logOf(index);
      if (log && !log.pass) {
        reasons.push(`one is not proven to be in the vault's log: ${log.reason}`);
        continue;
      }
      const input = { statement: attestation.statement, predicate: attestation.statement?.predicate, subject: { ...artifact } };
      const failed = cel.map((c) => c.evaluate(input)).filter((r) => !r.pass);
      if (failed.length === 0) {
        return { name: "evidence", pass: true, reason: `${requirement.predicateType} signed by ${signers.join(", ")}${log ? "; in the vault's log" : ""}` };
      }
      reasons.push(failed.map((r) => r.reason).join("; "));
    }
    return {
      name: "evidence",
      pass: false,
      reason: ofType === 0 ? `no ${requirement.predicateType} attestation for the artifact` : `${requirement.predicateType}: ${reasons.join("; ")}`,
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
  const artifacts = [artifact, ...(options.alsoNamed ?? [])];
  const artifactDigests = artifacts.map((a) => a.digest);
  const artifactNames = artifacts.map((a) => a.name);

  // Each document's log proof is checked once, and only when the policy names a log.
  const logProofs = new Map<number, LogProofResult | undefined>();
  const logOf = (index: number): LogProofResult | undefined => {
    if (!policy.log) return undefined;
    if (!logProofs.has(index)) logProofs.set(index, checkLogProof(documents[index], policy.log));
    return logProofs.get(index);
  };
  // Examined (signature under any policy key, predicate type, subject) only when a rule needs evidence.
  let examined: ExaminedAttestation[] | undefined;
  const examine = () => {
    examined ??= documents.map((document) => examineAttestation(document, policy.keys, artifact.digest));
    return examined;
  };
  let evidenceByType: Record<string, unknown[]> | undefined;
  const evidence = () => {
    if (evidenceByType) return evidenceByType;
    evidenceByType = {};
    for (const [index, a] of examine().entries()) {
      if (a.signedBy.length > 0 && a.aboutArtifact && a.predicateType && a.predicateType !== SLSA_PROVENANCE_V1 && (logOf(index)?.pass ?? true)) {
        const list = evidenceByType[a.predicateType] ?? [];
        list.push(a.statement!.predicate);
        evidenceByType[a.predicateType] = list;
      }
    }
    return evidenceByType;
  };

  // Rules that trust the same signers and ask for the same predicate type share one verification of each document.
  const baseReports = new Map<string, VerificationReport[]>();
  const verifiedFor = (keys: PolicyKey[], threshold: number, predicateType: string | undefined) => {
    const cacheKey = `${threshold}:${predicateType ?? ""}:${keys.map((k) => k.keyId).join(",")}`;
    let reports = baseReports.get(cacheKey);
    if (!reports) {
      reports = documents.map((document) =>
        verify(document, {
          trustedKeys: keys,
          threshold,
          artifactDigests,
          artifactNames,
          ...(predicateType ? { policy: { predicateType } } : {}),
        }),
      );
      baseReports.set(cacheKey, reports);
    }
    return reports;
  };

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
    const evidenceResults = loaded.evidence.length > 0 ? evidenceChecks(policy, loaded, examine(), artifact, logOf) : [];
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
    const wanted = rule.provenance?.predicateType ?? SLSA_PROVENANCE_V1;
    const base = verifiedFor(keys, threshold, rule.provenance?.predicateType);
    // Candidates: documents of the wanted predicate type, and those that could not be read or verified
    // (unless, under the policy's other keys, they are evidence of another type). With none, every
    // document is one, so that the explanation says what was given instead.
    const ofWantedType = (report: VerificationReport, index: number) =>
      report.statement ? report.statement.predicateType === wanted : (examine()[index]?.predicateType ?? wanted) === wanted;
    let indices = options.everyDocument ? [] : base.flatMap((report, index) => (ofWantedType(report, index) ? [index] : []));
    if (indices.length === 0) indices = documents.map((_, index) => index);
    const candidates = indices.map((index) => candidateOf(index, documents[index], base[index]!, rule.provenance, wanted, logOf(index), options.now));
    const reports = candidates.map((c) => c.report);

    const passing = candidates.filter((c) => c.ok);
    const inRepository = rule.match?.repositories
      ? passing.filter((c) => c.report.source && glob(rule.match!.repositories!)(c.report.source.repository))
      : passing;
    if (rule.match?.repositories && inRepository.length === 0) {
      notApplicable(
        passing.length === 0
          ? `no verified provenance to read a repository from (rule matches ${rule.match.repositories.join(", ")})`
          : `verified provenance comes from ${passing.map((c) => c.report.source?.repository ?? "no recorded source").join(", ")}, not ${rule.match.repositories.join(", ")}`,
      );
      continue;
    }
    const kind = wanted === SLSA_PROVENANCE_V1 ? "SLSA provenance" : `${wanted} attestation`;
    if (inRepository.length === 0) {
      const why = candidates.map((c) => c.problem).filter(Boolean);
      outcomes.push({
        rule: rule.name,
        status: "fail",
        reason: why.length > 0 ? `no ${kind} verifies: ${why.join("; ")}` : `no ${kind} for the artifact`,
        checks: [{ name: "provenance", pass: false, reason: why.join("; ") || `no ${kind} given` }, ...evidenceResults],
        reports,
      });
      continue;
    }
    // The first candidate that satisfies every check decides; otherwise the one closest to passing explains.
    let best: { checks: RuleCheck[]; candidate: Candidate } | undefined;
    for (const candidate of inRepository) {
      const log = logOf(candidate.index);
      const checks = [
        { name: "provenance", pass: true, reason: `signed by ${candidate.report.signedBy.join(", ")}; subject matches` },
        ...(log ? [{ name: "transparencyLog", pass: true, reason: log.reason }] : []),
        ...candidate.checks,
        ...evidenceResults,
        ...(loaded.cel.length > 0 || loaded.rego.length > 0 ? await customChecks(loaded, inputFor(artifact, candidate.base, evidence())) : []),
      ];
      const failing = checks.filter((c) => !c.pass).length;
      if (!best || failing < best.checks.filter((c) => !c.pass).length) best = { checks, candidate };
      if (failing === 0) break;
    }
    const failed = best!.checks.filter((c) => !c.pass);
    if (failed.length === 0) {
      decidingReport ??= best!.candidate.report;
      used.add(best!.candidate.document);
    }
    outcomes.push({
      rule: rule.name,
      status: failed.length === 0 ? "pass" : "fail",
      reason: failed.length === 0 ? `${best!.checks.length} check(s) pass` : failed.map((c) => c.reason).join("; "),
      checks: best!.checks,
      reports,
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
