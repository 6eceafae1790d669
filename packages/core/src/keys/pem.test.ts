import { execFileSync } from "node:child_process";
import { createHash, createPublicKey, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
    const pair = generateKeyPair("ecdsa-p256", "correct horse battery");
    expect(pair.privateKeyPem).toContain("ENCRYPTED PRIVATE KEY");
    expect(privateKeyFromPem(pair.privateKeyPem, "correct horse battery").asymmetricKeyType).toBe("ec");
    expect(codeOf(() => privateKeyFromPem(pair.privateKeyPem, "wrong"))).toBe("KEY_PASSWORD_WRONG");
    expect(codeOf(() => privateKeyFromPem(pair.privateKeyPem))).toBe("KEY_PASSWORD_MISSING");
    // scrypt is slow on purpose: seconds on a loaded 2-core machine (a runner limit, not a speed check).
  }, 60_000);

  it("encrypts with scrypt (PBES2, N=2^14 r=8 p=5, AES-256-CBC), which openssl reads back", () => {
    const pair = generateKeyPair("ed25519", "correct horse battery");
    const der = Buffer.from(pair.privateKeyPem.replace(/-----[A-Z ]+-----|\n/g, ""), "base64");
    // OIDs of PBES2, id-scrypt and aes256-CBC (RFC 8018, RFC 7914 §7), and the cost parameters.
    expect(der.toString("hex")).toContain("06092a864886f70d01050d");
    expect(der.toString("hex")).toContain("06092b06010401da47040b");
    expect(der.toString("hex")).toContain("02024000020108020105");
    const dir = mkdtempSync(join(tmpdir(), "provenant-key-"));
    writeFileSync(join(dir, "k.pem"), pair.privateKeyPem);
    // An independent reader: the openssl command line (Debian's openssl package).
    const out = execFileSync("openssl", ["pkey", "-in", join(dir, "k.pem"), "-passin", "pass:correct horse battery", "-pubout"], { encoding: "utf8" });
    expect(out).toBe(pair.publicKeyPem);
  }, 60_000);

  it("still reads keys encrypted the old way (PBKDF2, 2,048 iterations)", () => {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const old = privateKey.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "short" }).toString();
    expect(privateKeyFromPem(old, "short").asymmetricKeyType).toBe("ec");
  });

  it("refuses passwords shorter than 12 characters", () => {
    expect(codeOf(() => generateKeyPair("ecdsa-p256", "eleven-char"))).toBe("KEY_PASSWORD_TOO_SHORT");
    expect(generateKeyPair("ecdsa-p256", "twelve-chars").privateKeyPem).toContain("ENCRYPTED");
  }, 60_000);

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
