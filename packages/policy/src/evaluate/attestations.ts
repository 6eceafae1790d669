import {
  type DigestSet,
  isProvenantError,
  parseSignedDocument,
  parseStatement,
  type Statement,
  verifyEnvelope,
} from "@provenant/core";
import type { PolicyKey } from "../load/load.js";

/** One piece of evidence as the policy sees it: who signed it, what it says, whether it is about the artifact. */
export interface ExaminedAttestation {
  document: unknown;
  statement?: Statement;
  predicateType?: string;
  /** Names of the policy's keys whose signatures verified. */
  signedBy: string[];
  aboutArtifact: boolean;
  /** Why it cannot count as evidence (unreadable, unsigned by a trusted key, another artifact). */
  problem?: string;
}

function digestMatches(artifact: DigestSet, subject: DigestSet): boolean {
  const shared = Object.keys(artifact).filter((alg) => subject[alg] !== undefined);
  return shared.length > 0 && shared.every((alg) => artifact[alg] === subject[alg]);
}

/**
 * Checks any attestation (provenance, test results, scans, SBOMs) against
 * the policy's keys. Never throws for bad evidence: a malformed document is
 * an attestation with a problem, and fails whatever rule needed it.
 */
export function examineAttestation(document: unknown, keys: readonly PolicyKey[], digest: DigestSet): ExaminedAttestation {
  const fail = (problem: string): ExaminedAttestation => ({ document, signedBy: [], aboutArtifact: false, problem });
  try {
    const { envelope } = parseSignedDocument(document);
    const verification = verifyEnvelope(envelope, keys, 1);
    const signedBy = keys.filter((k) => verification.signedBy.includes(k.keyId)).map((k) => k.name);
    let json: unknown;
    try {
      json = JSON.parse(verification.payload.toString("utf8"));
    } catch {
      return { ...fail("the signed payload is not JSON"), signedBy };
    }
    const statement = parseStatement(json);
    const aboutArtifact = statement.subject.some((s) => digestMatches(digest, s.digest));
    return {
      document,
      statement,
      predicateType: statement.predicateType,
      signedBy,
      aboutArtifact,
      ...(aboutArtifact ? {} : { problem: "its subjects do not include the artifact" }),
    };
  } catch (error) {
    if (!isProvenantError(error)) throw error;
    return fail(`${error.code}: ${error.message}`);
  }
}
