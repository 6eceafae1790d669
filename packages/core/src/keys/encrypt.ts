import { createCipheriv, type KeyObject, randomBytes, scryptSync } from "node:crypto";
import { ProvenantError } from "../error.js";

/** Passwords shorter than this are refused: an encrypted key file is only as strong as its password. */
export const MIN_PASSWORD_LENGTH = 12;

/**
 * scrypt at N=2^14, r=8, p=5: one of OWASP's equivalent minimum settings
 * (Password Storage Cheat Sheet, the same cost as N=2^17, r=8, p=1), chosen
 * because it needs 16 MiB, within OpenSSL's default scrypt memory limit, so
 * Node, `openssl pkcs8` and other OpenSSL-based tools decrypt these keys.
 */
export const SCRYPT_PARAMETERS = { N: 2 ** 14, r: 8, p: 5 } as const;

// DER, written by hand: the structure is fixed and small (RFC 8018 PBES2 with
// RFC 7914 §7 scrypt parameters), and Node can decrypt but not write it
// (KeyObject.export's cipher option always uses PBKDF2 with 2,048 iterations).
const OID = {
  pbes2: "06092a864886f70d01050d",
  scrypt: "06092b06010401da47040b",
  aes256Cbc: "060960864801650304012a",
};

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  if (n < 0x100) return Buffer.from([0x81, n]);
  return Buffer.from([0x82, n >> 8, n & 0xff]);
}
const tlv = (tag: number, value: Buffer) => Buffer.concat([Buffer.from([tag]), length(value.length), value]);
const sequence = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
const octets = (bytes: Buffer) => tlv(0x04, bytes);
function integer(n: number): Buffer {
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  if (bytes.length === 0 || bytes[0]! & 0x80) bytes.unshift(0);
  return tlv(0x02, Buffer.from(bytes));
}

export function checkPasswordStrength(password: string, what: string): void {
  if ([...password].length < MIN_PASSWORD_LENGTH) {
    throw new ProvenantError(
      "KEY_PASSWORD_TOO_SHORT",
      `${what} has ${[...password].length} characters; expected at least ${MIN_PASSWORD_LENGTH}`,
    );
  }
}

/** The private key as an encrypted PKCS#8 PEM (PBES2: scrypt key derivation, AES-256-CBC). */
export function encryptPrivateKey(key: KeyObject, password: string): string {
  const plain = key.export({ type: "pkcs8", format: "der" });
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const { N, r, p } = SCRYPT_PARAMETERS;
  const derived = scryptSync(password.normalize("NFC"), salt, 32, { N, r, p, maxmem: 64 * 1024 * 1024 });
  const cipher = createCipheriv("aes-256-cbc", derived, iv);
  const encrypted = Buffer.concat([cipher.update(plain), cipher.final()]);
  const der = sequence(
    sequence(
      Buffer.from(OID.pbes2, "hex"),
      sequence(
        sequence(Buffer.from(OID.scrypt, "hex"), sequence(octets(salt), integer(N), integer(r), integer(p))),
        sequence(Buffer.from(OID.aes256Cbc, "hex"), octets(iv)),
      ),
    ),
    octets(encrypted),
  );
  const body = der.toString("base64").replace(/(.{64})/g, "$1\n").replace(/\n$/, "");
  return `-----BEGIN ENCRYPTED PRIVATE KEY-----\n${body}\n-----END ENCRYPTED PRIVATE KEY-----\n`;
}
