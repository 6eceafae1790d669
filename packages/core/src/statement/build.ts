import { ProvenantError } from "../error.js";
import { parseProvenance } from "../provenance/validate.js";
import { fastStatementShell } from "../schemas/fast.js";
import { parseWith } from "../schemas/parse.js";
import type { BuildDefinition, Provenance, RunDetails } from "../schemas/provenance.js";
import { SLSA_PROVENANCE_V1 } from "../schemas/provenance.js";
import { stripUrlCredentials } from "../source/url-credentials.js";
import {
  STATEMENT_TYPE,
  type Statement,
  StatementSchema,
  StatementShellSchema,
  subjectsAreWellFormed,
  type Subject,
  SubjectSchema,
} from "../schemas/statement.js";

export type ProvenanceStatement = Statement<Provenance>;

/**
 * Builds an in-toto Statement v1 carrying SLSA v1.0 provenance, validating
 * both halves so that we never sign something a verifier would refuse.
 */
export function buildStatement(
  subjects: readonly Subject[],
  provenance: { buildDefinition: BuildDefinition; runDetails: RunDetails },
): ProvenanceStatement {
  if (subjects.length === 0) {
    throw new ProvenantError(
      "EMPTY_SUBJECTS",
      "statement: no subjects; expected at least one artifact with a sha256 digest",
    );
  }
  // Checked by hand when all are well formed (a release attests 100,000
  // files; zod per subject cost a second and much of attest's peak memory);
  // the schema finds and words the first problem otherwise.
  if (!subjectsAreWellFormed(subjects)) {
    subjects.forEach((s, i) => {
      parseWith(SubjectSchema, s, "INVALID_DIGEST", `subject[${i}] ${s.name ?? ""}`.trim());
    });
  }
  // Adapters strip credentials from the URLs they record; this catches any they missed.
  const predicate = parseProvenance(
    stripUrlCredentials({
      buildDefinition: provenance.buildDefinition,
      runDetails: provenance.runDetails,
    }),
  );
  return {
    _type: STATEMENT_TYPE,
    subject: subjects.map((s) => ({ ...s })),
    predicateType: SLSA_PROVENANCE_V1,
    predicate,
  };
}

/** Parses a Statement of any predicate type (the predicate is checked separately). */
export function parseStatement(value: unknown): Statement {
  const subjects = (value as { subject?: unknown } | null)?.subject;
  if (Array.isArray(subjects) && subjects.length === 0) {
    throw new ProvenantError(
      "EMPTY_SUBJECTS",
      "statement: subject list is empty; expected at least one subject with a digest",
    );
  }
  // Subjects are checked by hand when they are all well formed (large
  // releases); any problem goes through the schema for its precise message.
  const shell = (fastStatementShell(value) as Statement | undefined) ?? parseWith(StatementShellSchema, value, "MALFORMED_STATEMENT", "statement");
  if (subjectsAreWellFormed(shell.subject)) return shell as Statement;
  return parseWith(StatementSchema, value, "MALFORMED_STATEMENT", "statement");
}
