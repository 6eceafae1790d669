import { isProvenantError } from "@provenant/core";
import { verifyTlogEntries } from "@provenant/log";
import type { PolicyLog } from "../load/load.js";

/** The outcome of checking one attestation's log entry; `undefined` when there was nothing to check and none was required. */
export interface LogProofResult {
  pass: boolean;
  reason: string;
  code?: string;
}

type TlogEntries = { inclusionProof?: { checkpoint?: { envelope?: unknown } } }[];

function tlogEntriesOf(document: unknown): TlogEntries | undefined {
  const entries = (document as { verificationMaterial?: { tlogEntries?: unknown } } | null)?.verificationMaterial?.tlogEntries;
  return Array.isArray(entries) && entries.length > 0 ? (entries as TlogEntries) : undefined;
}

/**
 * Checks the vault log entries a bundle carries (signed entry timestamp,
 * inclusion proof, signed checkpoint) against the policy's log key, as
 * `provenant verify --server` does. Never throws for a bad document.
 */
export function checkLogProof(document: unknown, log: PolicyLog): LogProofResult | undefined {
  const entries = tlogEntriesOf(document);
  if (!entries) {
    if (!log.required) return undefined;
    return {
      pass: false,
      code: "INCLUSION_PROOF_MISSING",
      reason: `no transparency log entry; the policy requires an inclusion proof in the vault's log (${log.source}): upload the attestation to the vault and use the bundle it returns`,
    };
  }
  try {
    const note = entries[0]?.inclusionProof?.checkpoint?.envelope;
    // The pinned origin, else the note's own: the checkpoint signature binds origin and key together.
    const origin = log.origin ?? (typeof note === "string" ? (note.split("\n", 1)[0] ?? "") : "");
    const entry = verifyTlogEntries(document, { origin, publicKey: log.publicKey });
    return { pass: true, reason: `logged at index ${entry.logIndex}, checkpoint size ${entry.treeSize}, verified with the vault's log key (${log.source})` };
  } catch (error) {
    const code = isProvenantError(error) ? error.code : "INCLUSION_PROOF_INVALID";
    return { pass: false, code, reason: `the log entry does not verify against the vault's log key (${log.source}): ${(error as Error).message}` };
  }
}
