import { type KeyObject, createHash } from "node:crypto";
import {
  type Bundle,
  type Envelope,
  ProvenantError,
  SLSA_PROVENANCE_V1,
  type TrustedKey,
  normalizeRepository,
  type Provenance,
  parseSignedDocument,
  publicKeyFromPem,
  slsaLevelOf,
  sourceOf,
  type Statement,
  toBundle,
  verify,
} from "@provenant/core";
import type { KeyRecord, SubjectRecord } from "../store/store.js";

/** What the vault learned from one document before it is logged. */
export interface IngestedDocument {
  envelope: Envelope;
  /** The bundle as received (a bare envelope is wrapped in a public-key bundle). */
  bundle: Bundle;
  signerKey: KeyRecord;
  subjects: SubjectRecord[];
  predicateType: string;
  source?: { repository: string; ref?: string; commit?: string };
  builderId?: string;
  slsaLevel: number;
}

/** Caps on what one upload may hold (the HTTP layer also caps the body size). */
const MAX_SUBJECTS = 10_000;

/**
 * Validates an uploaded Sigstore bundle, DSSE envelope or single-line
 * `.intoto.jsonl` text with core: well-formed, signed by one of `keys` (the
 * keys registered for the caller's projects), an in-toto statement; SLSA
 * provenance must be well-formed and yields the level verified at upload.
 * Other predicate types are stored at level 0. Throws core's coded errors.
 */
export function ingest(
  document: unknown,
  keys: readonly KeyRecord[],
  serviceKeys: readonly KeyRecord[],
  keyObjectOf: (pem: string) => KeyObject = publicKeyFromPem,
): IngestedDocument {
  const value = typeof document === "string" ? parseJsonLines(document) : document;
  const parsed = parseSignedDocument(value);
  const candidates = [...keys, ...serviceKeys];
  // A service key's flag reaches core so the level stored at upload can be L3 (service-built provenance only).
  const trustedKeys: TrustedKey[] = candidates.map((k) => ({ keyId: k.keyId, publicKey: keyObjectOf(k.publicKeyPem), service: k.service }));
  // No artifact digest: the vault stores every subject; the subject check's
  // failure is expected and ignored, every other check must pass.
  const report = verify(value, { trustedKeys, artifactDigests: [] });
  for (const id of ["bundle", "signature", "statement", "provenance"] as const) {
    const failed = report.checks.find((c) => c.id === id && c.status === "fail");
    if (failed) {
      const code = (failed.code ?? "MALFORMED_BUNDLE") as ProvenantError["code"];
      const hint =
        code === "UNTRUSTED_KEY"
          ? "; register the signing key for the project first (POST /v1/keys or `provenant server key add`)"
          : "";
      throw new ProvenantError(code, `${failed.reason}${hint}`);
    }
  }
  const statement = report.statement;
  if (!statement) throw new ProvenantError("MALFORMED_STATEMENT", "the envelope holds no in-toto statement");
  if (statement.subject.length > MAX_SUBJECTS) {
    throw new ProvenantError("USAGE", `the statement names ${statement.subject.length} subjects; at most ${MAX_SUBJECTS} are accepted`);
  }
  const signerKeyId = report.signedBy[0]!;
  const signerKey = candidates.find((k) => k.keyId === signerKeyId)!;
  return indexed({
    envelope: parsed.envelope,
    bundle: parsed.kind === "bundle" ? parsed.bundle : toBundle(parsed.envelope),
    statement,
    signerKey,
    ...(report.provenance ? { provenance: report.provenance } : {}),
    slsaLevel: statement.predicateType === SLSA_PROVENANCE_V1 ? report.slsaLevel.level : 0,
  });
}

/**
 * Provenance the signing service built and signed a moment ago with the
 * server's own in-process key (the vault's signing key): indexed without
 * verifying that signature a second time. It was made here, over exactly
 * these bytes, by the key the vault would check it against; what the check
 * guards against, a document from outside, never takes this path. Every
 * upload over the API is still verified by `ingest`.
 */
export function ingestServiceSigned(
  signed: { envelope: Envelope; statement: Statement; provenance: Provenance },
  serviceKey: KeyRecord,
): IngestedDocument {
  if (signed.statement.subject.length > MAX_SUBJECTS) {
    throw new ProvenantError("USAGE", `the statement names ${signed.statement.subject.length} subjects; at most ${MAX_SUBJECTS} are accepted`);
  }
  return indexed({
    envelope: signed.envelope,
    bundle: toBundle(signed.envelope),
    statement: signed.statement,
    provenance: signed.provenance,
    signerKey: serviceKey,
    slsaLevel: slsaLevelOf(signed.provenance, true, { service: true }).level,
  });
}

/** The facts the vault indexes a verified document by. */
function indexed(parts: {
  envelope: Envelope;
  bundle: Bundle;
  statement: Statement;
  provenance?: Provenance;
  signerKey: KeyRecord;
  slsaLevel: number;
}): IngestedDocument {
  const subjects: SubjectRecord[] = [];
  for (const s of parts.statement.subject) {
    for (const [alg, value] of Object.entries(s.digest)) subjects.push({ name: s.name ?? "", digest: `${alg}:${value}` });
  }
  const source = parts.provenance ? sourceOf(parts.provenance) : undefined;
  return {
    envelope: parts.envelope,
    bundle: parts.bundle,
    signerKey: parts.signerKey,
    subjects,
    predicateType: parts.statement.predicateType,
    ...(source
      ? {
          source: {
            repository: normalizeRepository(source.repository),
            ...(source.ref ? { ref: source.ref } : {}),
            ...(source.commit ? { commit: source.commit } : {}),
          },
        }
      : {}),
    ...(parts.provenance ? { builderId: parts.provenance.runDetails.builder.id } : {}),
    slsaLevel: parts.slsaLevel,
  };
}

function parseJsonLines(text: string): unknown {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  if (lines.length !== 1) {
    throw new ProvenantError(
      "USAGE",
      `an .intoto.jsonl upload holds ${lines.length} envelopes; upload one envelope per request`,
    );
  }
  try {
    return JSON.parse(lines[0]!);
  } catch (cause) {
    throw new ProvenantError("MALFORMED_JSON", "the .intoto.jsonl line is not JSON", { cause });
  }
}

export const sha256Hex = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("hex");
