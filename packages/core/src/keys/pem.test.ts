import { createHash, createPublicKey } from "node:crypto";
import { describe, expect, it } from "vitest";
import { isProvenantError } from "../error.js";
import { keyIdOf } from "./algorithms.js";
import { GENERATED_ALGORITHMS, generateKeyPair, privateKeyFromPem, publicKeyFromPem } from "./pem.js";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (isProvenantError(error)) return error.code;
    throw error;
  }
  return undefined;
}

describe("key pairs", () => {
  for (const algorithm of GENERATED_ALGORITHMS) {
    it(`generates ${algorithm} as PKCS#8 and SPKI PEM with the SPKI key id`, () => {
      const pair = generateKeyPair(algorithm);
      expect(pair.privateKeyPem).toContain("-----BEGIN PRIVATE KEY-----");
      expect(pair.publicKeyPem).toContain("-----BEGIN PUBLIC KEY-----");
      const der = createPublicKey(pair.publicKeyPem).export({ type: "spki", format: "der" });
      expect(pair.keyId).toBe(createHash("sha256").update(der).digest("hex"));
      expect(keyIdOf(publicKeyFromPem(pair.publicKeyPem))).toBe(pair.keyId);
      // RSA-3072 generation searches for primes: seconds on a loaded 2-core machine.
    }, 60_000);
  }

  it("encrypts with a password and reads back only with it", () => {
    const pair = generateKeyPair("ecdsa-p256", "correct horse");
    expect(pair.privateKeyPem).toContain("ENCRYPTED PRIVATE KEY");
    expect(privateKeyFromPem(pair.privateKeyPem, "correct horse").asymmetricKeyType).toBe("ec");
    expect(codeOf(() => privateKeyFromPem(pair.privateKeyPem, "wrong"))).toBe("KEY_PASSWORD_WRONG");
    expect(codeOf(() => privateKeyFromPem(pair.privateKeyPem))).toBe("KEY_PASSWORD_WRONG");
  });

  it("refuses what is not a key, and never echoes the input", () => {
    const secretish = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LXRva2Vu\n-----END PRIVATE KEY-----\n";
    try {
      privateKeyFromPem(secretish);
      expect.unreachable();
    } catch (error) {
      expect(isProvenantError(error, "KEY_UNREADABLE")).toBe(true);
      expect((error as Error).message).not.toContain("c2VjcmV0");
    }
    expect(codeOf(() => privateKeyFromPem("hello"))).toBe("KEY_UNREADABLE");
    expect(codeOf(() => publicKeyFromPem("hello"))).toBe("KEY_UNREADABLE");
    expect(codeOf(() => publicKeyFromPem(generateKeyPair().privateKeyPem))).toBe("KEY_UNREADABLE");
  });
});
