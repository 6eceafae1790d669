import { FACTS_SOURCE_FIELD } from "../buildtypes.js";
import type { Provenance } from "../schemas/provenance.js";
import type { Statement } from "../schemas/statement.js";

/** The metadata field where the signing service lists the subjects it hashed itself (the server's `SERVICE_HASHED_SUBJECTS_FIELD`). */
export const SERVICE_HASHED_SUBJECTS_FIELD = "provenant_subjectsHashedByService";

/**
 * What a verifier should know about service-built provenance's subjects: the
 * service builds every other field from the job's verified token, but the
 * subject digests are the build's word (as with every SLSA generator), except
 * those the service fetched and hashed itself. Undefined for provenance the
 * service did not build.
 */
export function serviceSubjectsNote(provenance: Provenance, statement: Statement): string | undefined {
  const metadata = provenance.runDetails.metadata;
  if (metadata?.[FACTS_SOURCE_FIELD] !== "service-oidc-token") return undefined;
  const listed = metadata[SERVICE_HASHED_SUBJECTS_FIELD];
  const hashedDigests = new Set<string>();
  if (Array.isArray(listed)) {
    for (const entry of listed) {
      const sha256 = (entry as { digest?: { sha256?: unknown } } | null)?.digest?.sha256;
      if (typeof sha256 === "string") hashedDigests.add(sha256);
    }
  }
  const total = statement.subject.length;
  const byService = statement.subject.filter((s) => typeof s.digest.sha256 === "string" && hashedDigests.has(s.digest.sha256)).length;
  if (byService === total) {
    return `every subject digest (${total}) was computed by the signing service itself from what it fetched (${SERVICE_HASHED_SUBJECTS_FIELD})`;
  }
  if (byService === 0) {
    return "the subject digests are the build's word: the signing service signed the digests the job sent, as every SLSA generator does; it built every other field from the job's verified token";
  }
  return `${total - byService} of ${total} subject digests are the build's word (the digests the job sent); the signing service computed the other ${byService} itself (${SERVICE_HASHED_SUBJECTS_FIELD})`;
}
