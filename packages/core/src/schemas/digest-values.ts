// Digest values checked without zod: what the command line and the fast
// statement parser need, importable without loading the schemas (see ../base.ts).

/** Expected hex lengths for the digest algorithms whose size is fixed. */
export const HEX_LENGTHS: Record<string, number[]> = {
  sha256: [64],
  sha384: [96],
  sha512: [128],
  sha1: [40],
  gitCommit: [40, 64],
  gitTree: [40, 64],
};

/** DigestSetSchema's rule for one value, without zod: lowercase hex, of the algorithm's length when it has one. */
export function isDigestValue(algorithm: string, value: unknown): boolean {
  if (typeof value !== "string" || value.length === 0) return false;
  const lengths = HEX_LENGTHS[algorithm];
  if (lengths && !lengths.includes(value.length)) return false;
  // 0-9 or a-f: lowercase only, as DigestSetSchema requires (the regex
  // measured faster than a character loop over 100,000 subjects).
  return LOWER_HEX.test(value);
}

const LOWER_HEX = /^[0-9a-f]+$/;

/** `sha256:<hex>` as users type it on the command line. */
export function parseDigestReference(text: string): { algorithm: string; hex: string } | undefined {
  const match = /^(sha256|sha384|sha512):([0-9a-f]+)$/.exec(text);
  if (!match) return undefined;
  const [, algorithm, hex] = match;
  if (hex!.length !== HEX_LENGTHS[algorithm!]![0]) return undefined;
  return { algorithm: algorithm!, hex: hex! };
}
