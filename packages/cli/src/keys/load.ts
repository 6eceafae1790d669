import type { KeyObject } from "node:crypto";
import { resolve } from "node:path";
import { ProvenantError, keyIdOf, privateKeyFromPem, publicKeyFromPem } from "@provenant/core";
import type { Io } from "../io.js";
import { readTextFile } from "../io.js";

export const SIGNING_KEY_ENV = "PROVENANT_SIGNING_KEY";
export const KEY_PASSWORD_ENV = "PROVENANT_KEY_PASSWORD";

/** The signing key from `--key FILE` or `PROVENANT_SIGNING_KEY` (PEM text). Never echoed. */
export async function loadSigningKey(keyPath: string | undefined, io: Io): Promise<KeyObject> {
  const open = async (pem: string, source: string) => {
    let password = io.env[KEY_PASSWORD_ENV];
    // On a terminal, an encrypted key with no password in the environment is asked for (no echo).
    if (!password && io.promptSecret && pem.includes("ENCRYPTED PRIVATE KEY")) {
      password = await io.promptSecret(`password for ${source}: `);
    }
    return privateKeyFromPem(pem, password, source);
  };
  if (keyPath) {
    const pem = await readTextFile(resolve(io.cwd, keyPath), "signing key").catch((error: ProvenantError) => {
      throw new ProvenantError("KEY_UNREADABLE", error.message, { cause: error });
    });
    return open(pem, `signing key ${keyPath}`);
  }
  const fromEnv = io.env[SIGNING_KEY_ENV];
  if (fromEnv && fromEnv.trim() !== "") {
    return open(fromEnv, `signing key in ${SIGNING_KEY_ENV}`);
  }
  throw new ProvenantError(
    "KEY_UNREADABLE",
    `no signing key; pass --key FILE or set ${SIGNING_KEY_ENV} to the PEM text of a PKCS#8 private key`,
  );
}

/**
 * `--key` (user keys) and `--service-key` (signing-service keys, whose
 * signatures over service-built provenance can support SLSA Build L3) as
 * core's TrustedKeys. One of the two lists must name a key.
 */
export async function loadTrustedKeys(
  paths: readonly string[],
  servicePaths: readonly string[] | undefined,
  cwd: string,
): Promise<{ publicKey: KeyObject; keyId: string; service?: boolean }[]> {
  if (paths.length === 0 && (servicePaths?.length ?? 0) === 0) {
    throw new ProvenantError("USAGE", "no public key; pass --key PUBFILE or --service-key PUBFILE (repeatable)");
  }
  const users = paths.length > 0 ? await loadPublicKeys(paths, cwd) : [];
  const services = servicePaths && servicePaths.length > 0 ? await loadPublicKeys(servicePaths, cwd) : [];
  return [
    ...users.map((publicKey) => ({ publicKey, keyId: keyIdOf(publicKey) })),
    ...services.map((publicKey) => ({ publicKey, keyId: keyIdOf(publicKey), service: true })),
  ];
}

export async function loadPublicKeys(paths: readonly string[], cwd: string): Promise<KeyObject[]> {
  if (paths.length === 0) {
    throw new ProvenantError("USAGE", "no public key; pass --key PUBFILE (repeatable)");
  }
  const keys: KeyObject[] = [];
  for (const path of paths) {
    const pem = await readTextFile(resolve(cwd, path), "public key").catch((error: ProvenantError) => {
      throw new ProvenantError("KEY_UNREADABLE", error.message, { cause: error });
    });
    keys.push(publicKeyFromPem(pem, `public key ${path}`));
  }
  return keys;
}
