import type { ArtifactRecord, AuditRecord, EntryRecord, KeyRecord, SubjectRecord, TokenRecord } from "./store.js";

/** The column list both backends select for an entry, in this order. */
export const ENTRY_COLUMNS =
  "log_index, leaf_hash, envelope_hash, body, bundle, predicate_type, signer_key_id, project, source_repository, source_ref, source_commit, builder_id, slsa_level, uploaded_by, integrated_time";

export interface EntryRow {
  log_index: number | string | bigint;
  leaf_hash: string;
  envelope_hash: string;
  body: Uint8Array;
  bundle: string;
  predicate_type: string;
  signer_key_id: string;
  project: string;
  source_repository: string | null;
  source_ref: string | null;
  source_commit: string | null;
  builder_id: string | null;
  slsa_level: number | string;
  uploaded_by: string;
  integrated_time: number | string | bigint;
}

export function entryFromRow(row: EntryRow, subjects: SubjectRecord[]): EntryRecord {
  return {
    logIndex: Number(row.log_index),
    leafHash: row.leaf_hash,
    envelopeHash: row.envelope_hash,
    body: new Uint8Array(row.body),
    bundleJson: row.bundle,
    subjects,
    predicateType: row.predicate_type,
    signerKeyId: row.signer_key_id,
    project: row.project,
    ...(row.source_repository !== null ? { sourceRepository: row.source_repository } : {}),
    ...(row.source_ref !== null ? { sourceRef: row.source_ref } : {}),
    ...(row.source_commit !== null ? { sourceCommit: row.source_commit } : {}),
    ...(row.builder_id !== null ? { builderId: row.builder_id } : {}),
    slsaLevel: Number(row.slsa_level),
    uploadedBy: row.uploaded_by,
    integratedTime: Number(row.integrated_time),
  };
}

/** Attaches subject rows (ordered by name within an entry) to entry rows. */
export function entriesWithSubjects(
  rows: readonly EntryRow[],
  subjectRows: readonly { log_index: number | string | bigint; digest: string; name: string }[],
): EntryRecord[] {
  const byIndex = new Map<number, SubjectRecord[]>();
  for (const s of subjectRows) {
    const i = Number(s.log_index);
    const list = byIndex.get(i) ?? [];
    list.push({ name: s.name, digest: s.digest });
    byIndex.set(i, list);
  }
  return rows.map((row) => entryFromRow(row, byIndex.get(Number(row.log_index)) ?? []));
}

/** Groups per-digest aggregate rows, names and type counts into artifact records. */
export function artifactsFromRows(
  aggregates: readonly { digest: string; first_seen: number | string; last_seen: number | string; highest: number | string }[],
  names: readonly { digest: string; name: string }[],
  types: readonly { digest: string; predicate_type: string; n: number | string }[],
): ArtifactRecord[] {
  return aggregates.map((a) => ({
    digest: a.digest,
    names: [...new Set(names.filter((n) => n.digest === a.digest).map((n) => n.name))].sort(),
    firstSeen: Number(a.first_seen),
    lastSeen: Number(a.last_seen),
    attestationsByType: Object.fromEntries(
      types.filter((t) => t.digest === a.digest).map((t) => [t.predicate_type, Number(t.n)]),
    ),
    highestSlsaLevel: Number(a.highest),
  }));
}

export function keyFromRow(row: Record<string, unknown>): KeyRecord {
  return {
    keyId: String(row.key_id),
    project: String(row.project),
    publicKeyPem: String(row.public_key_pem),
    ...(row.name !== null && row.name !== undefined ? { name: String(row.name) } : {}),
    service: row.service === true || Number(row.service) === 1,
    createdAt: String(row.created_at),
  };
}

export function tokenFromRow(row: Record<string, unknown>): TokenRecord {
  return {
    id: String(row.id),
    secretHash: String(row.secret_hash),
    project: String(row.project),
    scope: row.scope as TokenRecord["scope"],
    ...(row.name !== null && row.name !== undefined ? { name: String(row.name) } : {}),
    createdAt: String(row.created_at),
  };
}

export function auditFromRow(row: Record<string, unknown>): AuditRecord & { id: number } {
  return {
    id: Number(row.id),
    at: String(row.at),
    actor: String(row.actor),
    action: String(row.action),
    target: String(row.target),
    ...(row.from_addr !== null && row.from_addr !== undefined ? { from: String(row.from_addr) } : {}),
  };
}
