import { parseSignedDocument, signerMaterialOf } from "../bundle/bundle.js";
import type { Envelope } from "../schemas/dsse.js";
import { type EnvelopeVerification, type TrustedKey, verifyEnvelope } from "../dsse/envelope.js";
import { isProvenantError, ProvenantError } from "../error.js";
import {
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
import type { DigestSet } from "../schemas/digest.js";
import { type Provenance, SLSA_PROVENANCE_V1 } from "../schemas/provenance.js";
import type { Statement } from "../schemas/statement.js";
import { type Source, sourceOf } from "../source/source.js";
import { parseStatement } from "../statement/build.js";
import { type SlsaLevel, slsaLevelOf } from "./level.js";

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
  | "slsaLevel"
  // added by front ends that checked a transparency log entry (the vault's `verify --server`)
  | "transparencyLog";

export interface Check {
  id: CheckId;
  status: "pass" | "fail";
  reason: string;
  /** The error code of a failed check. */
  code?: string;
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
}

export interface VerifyOptions {
  trustedKeys: readonly TrustedKey[];
  /** Distinct trusted keys that must have signed (default 1). */
  threshold?: number;
  /** Digests of the artifacts being checked: each must be a subject of the statement. */
  artifactDigests: readonly DigestSet[];
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
  slsaLevel: "SLSA build level",
  transparencyLog: "transparency log",
};

export function checkTitle(id: CheckId): string {
  return CHECK_TITLES[id];
}

function digestMatches(artifact: DigestSet, subject: DigestSet): boolean {
  const shared = Object.keys(artifact).filter((alg) => subject[alg] !== undefined);
  return shared.length > 0 && shared.every((alg) => artifact[alg] === subject[alg]);
}

/**
 * Verifies a Sigstore bundle or a DSSE envelope (already parsed from JSON)
 * against trusted keys, artifact digests and a policy. Pure; never throws
 * for bad input: every problem is a failed check in the report.
 */
export function verify(document: unknown, options: VerifyOptions): VerificationReport {
  const checks: Check[] = [];
  const pass = (id: CheckId, reason: string) => checks.push({ id, status: "pass", reason });
  const fail = (id: CheckId, code: string, reason: string) =>
    checks.push({ id, status: "fail", reason, code });
  const failFrom = (id: CheckId, error: unknown) => {
    if (!isProvenantError(error)) throw error;
    fail(id, error.code, error.message);
  };
  const report = (extra: Partial<VerificationReport> = {}): VerificationReport => {
    const provenance = extra.provenance;
    const signed = (extra.signedBy?.length ?? 0) > 0;
    const slsaLevel = slsaLevelOf(provenance, signed && checks.every((c) => c.id !== "provenance" || c.status === "pass"));
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
    };
  };

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
    const parsed = parseSignedDocument(document);
    envelope = parsed.envelope;
    keyless = parsed.kind === "bundle" && signerMaterialOf(parsed.bundle) === "certificate";
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
    verification = verifyEnvelope(envelope, options.trustedKeys, options.threshold ?? 1);
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

  // 3. Statement and predicate.
  let statement: Statement;
  try {
    let json: unknown;
    try {
      json = JSON.parse(verification.payload.toString("utf8"));
    } catch (cause) {
      throw new ProvenantError("MALFORMED_STATEMENT", "statement: the payload is not JSON", { cause });
    }
    statement = parseStatement(json);
    pass("statement", `in-toto Statement v1 with ${statement.subject.length} subject(s)`);
  } catch (error) {
    failFrom("statement", error);
    return report({ signedBy });
  }
  if (statement.predicateType !== SLSA_PROVENANCE_V1) {
    fail(
      "predicateType",
      "UNKNOWN_PREDICATE_TYPE",
      `predicateType is ${statement.predicateType}; expected ${SLSA_PROVENANCE_V1}`,
    );
    return report({ signedBy, statement });
  }
  pass("predicateType", SLSA_PROVENANCE_V1);

  let provenance: Provenance;
  try {
    provenance = parseProvenance(statement.predicate);
    pass("provenance", "SLSA v1.0 provenance is well-formed");
  } catch (error) {
    failFrom("provenance", error);
    return report({ signedBy, statement });
  }
  const source = sourceOf(provenance);

  // 4. Subjects: every artifact given must be named by the statement.
  if (options.artifactDigests.length === 0) {
    fail("subject", "USAGE", "no artifact digest was given to compare with the statement's subjects");
  } else {
    const missing = options.artifactDigests.filter(
      (artifact) => !statement.subject.some((s) => digestMatches(artifact, s.digest)),
    );
    if (missing.length === 0) {
      pass("subject", `${options.artifactDigests.length} artifact digest(s) match the statement's subjects`);
    } else {
      const shown = missing.map((d) => Object.entries(d).map(([a, h]) => `${a}:${h}`).join(",")).join("; ");
      fail(
        "subject",
        "SUBJECT_MISMATCH",
        `artifact digest ${shown} is not among the statement's ${statement.subject.length} subject(s)`,
      );
    }
  }

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

  return report({ signedBy, statement, provenance, ...(source ? { source } : {}) });
}
