/**
 * The key ids an attestation says it was signed with: the DSSE signatures'
 * `keyid`s and a Sigstore bundle's `verificationMaterial.publicKey.hint`.
 * Read without validating the document (listing shows them; verification
 * checks them), and capped so that a hostile document cannot flood a listing.
 */
export function signerKeyIds(document: unknown): string[] {
  const ids = new Set<string>();
  const add = (value: unknown) => {
    if (typeof value === "string" && value.length > 0 && value.length <= 128 && ids.size < 16) ids.add(value);
  };
  if (typeof document !== "object" || document === null) return [];
  const doc = document as { dsseEnvelope?: unknown; signatures?: unknown; verificationMaterial?: { publicKey?: { hint?: unknown } } };
  const envelope = (doc.dsseEnvelope ?? doc) as { signatures?: unknown };
  if (Array.isArray(envelope.signatures)) {
    for (const signature of envelope.signatures.slice(0, 16)) add((signature as { keyid?: unknown } | null)?.keyid);
  }
  add(doc.verificationMaterial?.publicKey?.hint);
  return [...ids];
}
