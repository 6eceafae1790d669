import { createHash } from "node:crypto";
import { ProvenantError } from "@provenant/core";

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

function digestOf(bytes: Uint8Array, algorithm: string): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest("hex")}`;
}

/**
 * Content addressing is the registry's whole promise: a served manifest or
 * blob whose bytes do not hash to the digest asked for is refused, never used.
 */
export function assertDigest(bytes: Uint8Array, expected: string, what: string): void {
  const algorithm = expected.split(":")[0]!;
  if (algorithm !== "sha256" && algorithm !== "sha512") {
    throw new ProvenantError("INVALID_DIGEST", `${what}: unsupported digest algorithm in ${expected}; expected sha256 or sha512`);
  }
  const actual = digestOf(bytes, algorithm);
  if (actual !== expected) {
    throw new ProvenantError("INVALID_DIGEST", `${what}: the registry served content with digest ${actual}, expected ${expected}`);
  }
}
