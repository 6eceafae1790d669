import { parseSignedDocument, signerMaterialOf } from "../bundle/bundle.js";
import { parsePayloadJson } from "../bundle/read.js";
import type { Envelope } from "../schemas/dsse.js";
import { type EnvelopeVerification, type TrustedKey, verifyEnvelope } from "../dsse/envelope.js";
import { isProvenantError } from "../error.js";
import { keyIdOf, sameKey } from "../keys/algorithms.js";
import {
  matchBuildInputs,
  matchHostedRunner,
  matchSourceCommit,
  matchBranch,
  matchBuilderId,
  matchSourceUri,
  matchTag,
  matchVersionedTag,
  type Policy,
  parsePolicy,
  type RuleResult,
} from "../policy/policy.js";
import { parseProvenance } from "../provenance/validate.js";
import { sharingInput } from "../schemas/fast.js";
import type { DigestSet } from "../schemas/digest.js";
import { type Provenance, SLSA_PROVENANCE_V1 } from "../schemas/provenance.js";
import type { Statement } from "../schemas/statement.js";
import { type Source, sourceOf } from "../source/source.js";
import { parseStatement } from "../statement/build.js";
import { type SlsaLevel, slsaLevelOf } from "./level.js";
import { serviceSubjectsNote } from "./service-subjects.js";

export type CheckId =
  | "bundle"
  | "signature"
  | "statement"
  | "predicateType"
  | "provenance"
  | "subject"
  | "builderId"
  | "buildType"
  | "sourceUri"
  | "sourceBranch"
  | "sourceTag"
  | "sourceVersionedTag"
  | "sourceCommit"
  | "buildInputs"
  | "hostedRunner"
  | "slsaLevel"
  // added by front ends that checked a transparency log entry (the vault's `verify --server`)
  | "transparencyLog";

export interface Check {
  id: CheckId;
  status: "pass" | "fail";
  reason: string;
  /** The error code of a failed check. */
  code?: string;
  /** For a failed subject check: each artifact not among the subjects, by the name it was given. */
  artifacts?: { name?: string; digest: string }[];
}

export interface VerificationReport {
  verified: boolean;
  checks: Check[];
  /** Key ids of the trusted keys whose signatures verified. */
  signedBy: string[];
  statement?: Statement;
  provenance?: Provenance;
  source?: Source;
  slsaLevel: SlsaLevel;
  /**
   * What verification saw but did not check or count, said rather than
   * silently ignored: a bad signature beside a good one, a certificate not
   * checked, transparency log entries not checked, no identity required.
   */
  notes?: string[];
}

export interface VerifyOptions {
  trustedKeys: readonly TrustedKey[];
  /**
   * Signing-service keys (`provenant verify --service-key`): trusted like
   * `trustedKeys`, and their signatures over service-built provenance are
   * the only ones that can yield SLSA Build L3. Same as a TrustedKey with
   * `service: true`.
   */
  serviceKeys?: readonly TrustedKey[];
  /** Distinct trusted keys that must have signed (default 1). */
  threshold?: number;
  /** Digests of the artifacts being checked: each must be a subject of the statement. */
  artifactDigests: readonly DigestSet[];
  /** The names the artifacts were given by (paths as typed), parallel to artifactDigests; named in a mismatch. */
  artifactNames?: readonly (string | undefined)[];
  policy?: Policy;
}

const CHECK_TITLES: Record<CheckId, string> = {
  bundle: "bundle",
  signature: "signature",
  statement: "statement",
  predicateType: "predicate type",
  provenance: "provenance",
  subject: "subject digest",
  builderId: "builder id",
  buildType: "build type",
  sourceUri: "source repository",
  sourceBranch: "source branch",
  sourceTag: "source tag",
  sourceVersionedTag: "versioned tag",
  sourceCommit: "source commit",
  buildInputs: "build inputs",
  hostedRunner: "hosted runner",
  slsaLevel: "SLSA build level",
  transparencyLog: "transparency log",
};

export function checkTitle(id: CheckId): string {
  return CHECK_TITLES[id];
}

/** Every algorithm both name agrees, and there is at least one (a loop: it runs once per artifact of a release). */
function digestMatches(artifact: DigestSet, subject: DigestSet): boolean {
  let shared = 0;
  for (const algorithm in artifact) {
    const value = subject[algorithm];
    if (value === undefined) continue;
    if (value !== artifact[algorithm]) return false;
    shared++;
  }
  return shared > 0;
}

/**
 * Subjects by algorithm, then hex value, so that checking a whole release
 * costs one lookup per artifact (the hex strings are the parsed JSON's own,
 * so no key is built). Any subject that matches an artifact shares at least
 * one algorithm with it, with the same value, so it is found under that key;
 * digestMatches then checks the other shared algorithms.
 */
function subjectIndex(subjects: Statement["subject"]): SubjectIndex {
  const index: SubjectIndex = new Map();
  for (const { digest } of subjects) {
    for (const algorithm in digest) {
      let byHex = index.get(algorithm);
      if (!byHex) {
        byHex = new Map();
        index.set(algorithm, byHex);
      }
      const hex = digest[algorithm]!;
      // One subject per digest is the rule; a list only where a digest repeats
      // (100,000 one-element arrays were a fifth of the time).
      const present = byHex.get(hex);
      if (present === undefined) byHex.set(hex, digest);
      else if (Array.isArray(present)) present.push(digest);
      else byHex.set(hex, [present, digest]);
    }
  }
  return index;
}

type SubjectIndex = Map<string, Map<string, DigestSet | DigestSet[]>>;

function isNamed(artifact: DigestSet, index: SubjectIndex): boolean {
  for (const algorithm in artifact) {
    const candidates = index.get(algorithm)?.get(artifact[algorithm]!);
    if (candidates === undefined) continue;
    if (Array.isArray(candidates) ? candidates.some((subject) => digestMatches(artifact, subject)) : digestMatches(artifact, candidates)) {
      return true;
    }
  }
  return false;
}

/**
 * Whether one of the keys that signed is a service key. Matched by key, not
 * id: verifyEnvelope names a key given twice by its first id, and a key
 * listed both as a user key and as a service key counts as the service's.
 */
function signedByService(signedBy: readonly string[], keys: readonly TrustedKey[]): boolean {
  const services = keys.filter((k) => k.service === true);
  if (services.length === 0 || signedBy.length === 0) return false;
  return keys.some((k) => signedBy.includes(k.keyId ?? keyIdOf(k.publicKey)) && services.some((s) => sameKey(s.publicKey, k.publicKey)));
}

function digestText(digest: DigestSet): string {
  return Object.entries(digest)
    .map(([a, h]) => `${a}:${h}`)
    .join(",");
}

/**
 * Verifies a Sigstore bundle or a DSSE envelope (already parsed from JSON)
 * against trusted keys, artifact digests and a policy. Pure; never throws
 * for bad input: every problem is a failed check in the report.
 */
export function verify(document: unknown, options: VerifyOptions): VerificationReport & { notes: string[] } {
  const checks: Check[] = [];
  const notes: string[] = [];
  const pass = (id: CheckId, reason: string) => checks.push({ id, status: "pass", reason });
  const fail = (id: CheckId, code: string, reason: string) =>
    checks.push({ id, status: "fail", reason, code });
  const failFrom = (id: CheckId, error: unknown) => {
    if (!isProvenantError(error)) throw error;
    fail(id, error.code, error.message);
  };
  const report = (extra: Partial<VerificationReport> = {}): VerificationReport & { notes: string[] } => {
    const provenance = extra.provenance;
    const signed = (extra.signedBy?.length ?? 0) > 0;
    const slsaLevel = slsaLevelOf(provenance, signed && checks.every((c) => c.id !== "provenance" || c.status === "pass"), {
      service: signedByService(extra.signedBy ?? [], allKeys),
    });
    if (options.policy?.minimumLevel !== undefined && provenance) {
      const min = options.policy.minimumLevel;
      if (slsaLevel.level >= min) pass("slsaLevel", `SLSA Build L${slsaLevel.level}: ${slsaLevel.reason}`);
      else fail("slsaLevel", "POLICY_DENIED", `SLSA Build L${slsaLevel.level}, policy requires L${min}: ${slsaLevel.reason}`);
    }
    return {
      verified: checks.length > 0 && checks.every((c) => c.status === "pass"),
      checks,
      signedBy: extra.signedBy ?? [],
      slsaLevel,
      ...extra,
      notes,
    };
  };

  const allKeys: readonly TrustedKey[] =
    options.serviceKeys && options.serviceKeys.length > 0
      ? [...options.trustedKeys, ...options.serviceKeys.map((k) => ({ ...k, service: true }))]
      : options.trustedKeys;

  let policy: Policy | undefined;
  try {
    policy = options.policy ? parsePolicy(options.policy) : undefined;
  } catch (error) {
    failFrom("bundle", error);
    return report();
  }

  // 1. The container: bundle or envelope.
  let envelope: Envelope;
  let keyless = false;
  try {
    // Shared, not copied: the bundle is only read here, and never handed back.
    const parsed = sharingInput(() => parseSignedDocument(document));
    envelope = parsed.envelope;
    keyless = parsed.kind === "bundle" && signerMaterialOf(parsed.bundle) === "certificate";
    if (parsed.kind === "bundle") {
      const tlog = parsed.bundle.verificationMaterial.tlogEntries?.length ?? 0;
      if (tlog > 0) {
        notes.push(`the bundle carries ${tlog} transparency log entr${tlog === 1 ? "y" : "ies"}; not checked (Provenant checks signatures against the trusted keys only)`);
      }
      const timestamps = (parsed.bundle.verificationMaterial.timestampVerificationData as { rfc3161Timestamps?: unknown[] } | undefined)
        ?.rfc3161Timestamps?.length ?? 0;
      if (timestamps > 0) notes.push(`the bundle carries ${timestamps} RFC 3161 timestamp(s); not checked`);
    }
    pass(
      "bundle",
      parsed.kind === "bundle"
        ? `Sigstore bundle (${parsed.bundle.mediaType}, ${signerMaterialOf(parsed.bundle)})`
        : "DSSE envelope",
    );
  } catch (error) {
    failFrom("bundle", error);
    return report();
  }

  // 2. Signatures: nothing below is trusted until this passes.
  let verification: EnvelopeVerification;
  try {
    verification = verifyEnvelope(envelope, allKeys, options.threshold ?? 1);
    pass("signature", `signed by trusted key ${verification.signedBy.join(", ")}`);
  } catch (error) {
    if (keyless && isProvenantError(error) && error.code !== "INVALID_BASE64") {
      fail(
        "signature",
        error.code,
        `${error.message}; this bundle is signed with an X.509 certificate (keyless Sigstore), and Provenant trusts only the public keys it is given`,
      );
    } else {
      failFrom("signature", error);
    }
    return report();
  }
  const signedBy = verification.signedBy;
  for (const keyId of verification.badSignatureKeyIds ?? []) {
    notes.push(`a second signature names trusted key ${keyId} but does not verify; it was ignored (the envelope verified by ${signedBy.join(", ")})`);
  }
  if (verification.untrustedKeyIds.length > 0) {
    notes.push(`signature(s) by untrusted key(s) ${verification.untrustedKeyIds.join(", ")} were ignored`);
  }
  if (keyless) {
    notes.push(
      `the bundle names its signer by an X.509 certificate, which was not checked; its signature verified with trusted key ${signedBy.join(", ")}`,
    );
  }

  function checkSubjects(statement: Statement) {
    if (options.artifactDigests.length === 0) {
      fail("subject", "USAGE", "no artifact digest was given to compare with the statement's subjects");
      return;
    }
    // A few artifacts against a few subjects: compared directly, without
    // building an index (two Maps per verification of a single bundle).
    const subjects = statement.subject;
    const direct = subjects.length * options.artifactDigests.length <= 64;
    const index = direct ? undefined : subjectIndex(subjects);
    const missing: { name?: string; digest: string }[] = [];
    options.artifactDigests.forEach((artifact, i) => {
      if (index ? isNamed(artifact, index) : subjects.some((subject) => digestMatches(artifact, subject.digest))) return;
      const name = options.artifactNames?.[i];
      missing.push({ ...(name !== undefined ? { name } : {}), digest: digestText(artifact) });
    });
    if (missing.length === 0) {
      pass("subject", `${options.artifactDigests.length} artifact digest(s) match the statement's subjects`);
      return;
    }
    const first = missing[0]!;
    checks.push({
      id: "subject",
      status: "fail",
      code: "SUBJECT_MISMATCH",
      reason:
        missing.length === 1
          ? `${first.name ? `${first.name} (${first.digest})` : `artifact digest ${first.digest}`} is not among the statement's ${statement.subject.length} subject(s)`
          : `${missing.length} of ${options.artifactDigests.length} artifacts are not among the statement's ${statement.subject.length} subject(s)`,
      artifacts: missing,
    });
  }

  // 3. Statement and predicate.
  let statement: Statement;
  try {
    const json = parsePayloadJson(verification.payload);
    // The statement was just parsed from the payload and is ours alone: shared, not copied.
    statement = sharingInput(() => parseStatement(json));
    pass("statement", `in-toto Statement v1 with ${statement.subject.length} subject(s)`);
  } catch (error) {
    failFrom("statement", error);
    return report({ signedBy });
  }
  const wantedType = policy?.predicateType ?? SLSA_PROVENANCE_V1;
  if (statement.predicateType !== wantedType) {
    fail(
      "predicateType",
      policy?.predicateType ? "POLICY_DENIED" : "UNKNOWN_PREDICATE_TYPE",
      `predicateType is ${statement.predicateType}; expected ${wantedType}`,
    );
    return report({ signedBy, statement });
  }
  pass("predicateType", wantedType);
  if (wantedType !== SLSA_PROVENANCE_V1) {
    // Another predicate was asked for: subjects are checked; provenance rules cannot be.
    checkSubjects(statement);
    const provenanceRules = (["builderId", "buildType", "sourceUri", "sourceBranch", "sourceTag", "sourceVersionedTag", "sourceCommit", "buildInputs", "denySelfHosted"] as const)
      .filter((key) => policy?.[key] !== undefined && policy?.[key] !== false);
    for (const key of provenanceRules) {
      fail(key === "denySelfHosted" ? "hostedRunner" : key, "POLICY_DENIED", `the statement is ${wantedType}, not SLSA provenance; ${key} cannot be checked`);
    }
    return report({ signedBy, statement });
  }

  let provenance: Provenance;
  try {
    provenance = sharingInput(() => parseProvenance(statement.predicate));
    pass("provenance", "SLSA v1.0 provenance is well-formed");
  } catch (error) {
    failFrom("provenance", error);
    return report({ signedBy, statement });
  }
  const source = sourceOf(provenance);

  // 4. Subjects: every artifact given must be named by the statement.
  checkSubjects(statement);
  const subjectsNote = serviceSubjectsNote(provenance, statement);
  if (subjectsNote) notes.push(subjectsNote);

  // 5. Policy.
  const rule = (id: CheckId, result: RuleResult) =>
    result.pass ? pass(id, result.reason) : fail(id, "POLICY_DENIED", result.reason);
  if (policy?.builderId) rule("builderId", matchBuilderId(policy.builderId, provenance.runDetails.builder.id));
  if (policy?.buildType) {
    const actual = provenance.buildDefinition.buildType;
    rule("buildType", {
      pass: actual === policy.buildType,
      reason:
        actual === policy.buildType ? `buildType is ${actual}` : `buildType is ${actual}; expected ${policy.buildType}`,
    });
  }
  if (policy?.sourceUri) rule("sourceUri", matchSourceUri(policy.sourceUri, source));
  if (policy?.sourceBranch) rule("sourceBranch", matchBranch(policy.sourceBranch, source));
  if (policy?.sourceTag) rule("sourceTag", matchTag(policy.sourceTag, source));
  if (policy?.sourceVersionedTag) rule("sourceVersionedTag", matchVersionedTag(policy.sourceVersionedTag, source));
  if (policy?.sourceCommit) rule("sourceCommit", matchSourceCommit(policy.sourceCommit, source));
  if (policy?.buildInputs) rule("buildInputs", matchBuildInputs(policy.buildInputs, provenance));
  if (policy?.denySelfHosted) rule("hostedRunner", matchHostedRunner(provenance));
  if (!policy?.sourceUri && !policy?.builderId) {
    notes.push("no source repository or builder id was required: provenance signed by a trusted key for any repository passes (--allow-any-source)");
  }

  return report({ signedBy, statement, provenance, ...(source ? { source } : {}) });
}
