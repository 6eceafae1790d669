/**
 * The referrers tag schema of the distribution spec 1.1 ("Referrers Tag
 * Schema"): `<alg>-<ref>` where ref is the subject digest's hex, truncated to
 * the 128 characters a tag may have.
 */
export function referrersTag(subjectDigest: string): string {
  const [algorithm, hex] = subjectDigest.split(":") as [string, string];
  return `${algorithm}-${hex}`.slice(0, 128);
}

/** cosign's legacy attachment tag for attestations: `sha256-<hex>.att`. */
export function cosignAttestationTag(subjectDigest: string): string {
  return `${subjectDigest.replace(":", "-")}.att`;
}
