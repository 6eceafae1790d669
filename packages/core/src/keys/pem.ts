import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from "node:crypto";
import { ProvenantError } from "../error.js";
import { algorithmOf, keyIdOf } from "./algorithms.js";
import { checkPasswordStrength, encryptPrivateKey } from "./encrypt.js";

export type GeneratedAlgorithm = "ecdsa-p256" | "ecdsa-p384" | "ed25519" | "rsa-3072";
export const GENERATED_ALGORITHMS: readonly GeneratedAlgorithm[] = [
  "ecdsa-p256",
  "ecdsa-p384",
  "ed25519",
  "rsa-3072",
];

export interface GeneratedKeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
  keyId: string;
}

/**
 * A new key pair as PKCS#8 and SPKI PEM. With a password (at least 12
 * characters) the private key is encrypted with scrypt and AES-256-CBC.
 */
export function generateKeyPair(
  algorithm: GeneratedAlgorithm = "ecdsa-p256",
  password?: string,
): GeneratedKeyPair {
  const encrypt = password !== undefined && password !== "";
  if (encrypt) checkPasswordStrength(password, "the password");
  const privateKeyEncoding = { type: "pkcs8" as const, format: "pem" as const };
  const publicKeyEncoding = { type: "spki" as const, format: "pem" as const };
  let pair: { privateKey: string; publicKey: string };
  switch (algorithm) {
    case "ecdsa-p256":
    case "ecdsa-p384":
      pair = generateKeyPairSync("ec", {
        namedCurve: algorithm === "ecdsa-p256" ? "P-256" : "P-384",
        privateKeyEncoding,
        publicKeyEncoding,
      });
      break;
    case "ed25519":
      pair = generateKeyPairSync("ed25519", { privateKeyEncoding, publicKeyEncoding });
      break;
    case "rsa-3072":
      pair = generateKeyPairSync("rsa", {
        modulusLength: 3072,
        privateKeyEncoding,
        publicKeyEncoding,
      });
      break;
    default:
      throw new ProvenantError(
        "USAGE",
        `unknown key algorithm "${algorithm as string}"; expected one of ${GENERATED_ALGORITHMS.join(", ")}`,
      );
  }
  return {
    privateKeyPem: encrypt ? encryptPrivateKey(createPrivateKey(pair.privateKey), password) : pair.privateKey,
    publicKeyPem: pair.publicKey,
    keyId: keyIdOf(createPublicKey(pair.publicKey)),
  };
}

function isDecryptFailure(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return (
    e.code === "ERR_MISSING_PASSPHRASE" ||
    /bad decrypt|BAD_DECRYPT|passphrase/i.test(`${e.code ?? ""} ${e.message ?? ""}`)
  );
}

/**
 * Reads a PEM private key (PKCS#8, encrypted or not; PKCS#1 and SEC1 too).
 * Error messages never include the key text.
 */
export function privateKeyFromPem(pem: string, password?: string, source = "the key"): KeyObject {
  const encrypted = pem.includes("ENCRYPTED PRIVATE KEY") || pem.includes("Proc-Type: 4,ENCRYPTED");
  if (!/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(pem)) {
    throw new ProvenantError(
      "KEY_UNREADABLE",
      `${source} is not a PEM private key; expected "-----BEGIN PRIVATE KEY-----" (PKCS#8)`,
    );
  }
  if (encrypted && (password === undefined || password === "")) {
    throw new ProvenantError(
      "KEY_PASSWORD_MISSING",
      `${source} is encrypted and no password was given; set PROVENANT_KEY_PASSWORD (or run on a terminal to be asked)`,
    );
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(
      encrypted ? { key: pem, format: "pem", passphrase: password } : { key: pem, format: "pem" },
    );
  } catch (error) {
    if (encrypted && isDecryptFailure(error)) {
      throw new ProvenantError("KEY_PASSWORD_WRONG", `${source}: wrong password for the encrypted key`, {
        cause: error,
      });
    }
    throw new ProvenantError("KEY_UNREADABLE", `${source} could not be parsed as a PEM private key`, {
      cause: error,
    });
  }
  algorithmOf(key);
  return key;
}

/** Reads a PEM public key (SPKI) or takes the public half of a certificate or private key. */
export function publicKeyFromPem(pem: string, source = "the public key"): KeyObject {
  if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(pem)) {
    throw new ProvenantError(
      "KEY_UNREADABLE",
      `${source} is a private key; expected the public key ("-----BEGIN PUBLIC KEY-----")`,
    );
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: "pem" });
  } catch (error) {
    throw new ProvenantError(
      "KEY_UNREADABLE",
      `${source} could not be parsed; expected a PEM public key ("-----BEGIN PUBLIC KEY-----")`,
      { cause: error },
    );
  }
  algorithmOf(key);
  return key;
}
