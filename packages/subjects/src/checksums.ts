import type { Subject } from "@provenant/core";
import { ProvenantError, parseDigestReference } from "@provenant/core/base";

/**
 * Reads a `sha256sum` output file: `<hex>  <name>` (text mode) or
 * `<hex> *<name>` (binary mode), blank lines and `#` comments ignored.
 */
export function parseChecksums(text: string, source: string): Subject[] {
  const subjects: Subject[] = [];
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line);
    if (!match) {
      throw new ProvenantError(
        "INVALID_DIGEST",
        `${source}:${index + 1}: expected "<64 hex sha256>  <name>" as sha256sum writes it`,
      );
    }
    subjects.push({ name: match[2]!, digest: { sha256: match[1]!.toLowerCase() } });
  }
  if (subjects.length === 0) {
    throw new ProvenantError("NO_SUBJECTS_MATCHED", `${source}: no checksums found; expected sha256sum output`);
  }
  return subjects;
}

/** `--digest NAME=sha256:HEX`, for artifacts that are not files here (an image, say). */
export function parseDigestOption(text: string): Subject {
  const eq = text.lastIndexOf("=");
  const name = eq > 0 ? text.slice(0, eq) : "";
  const digest = parseDigestReference(eq > 0 ? text.slice(eq + 1) : text);
  if (!name || !digest) {
    throw new ProvenantError(
      "INVALID_DIGEST",
      `--digest ${text}: expected NAME=sha256:<64 lowercase hex characters>`,
    );
  }
  return { name, digest: { [digest.algorithm]: digest.hex } };
}
