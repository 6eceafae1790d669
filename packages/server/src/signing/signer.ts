import { readFile } from "node:fs/promises";
import { keySigner, privateKeyFromPem, ProvenantError, type Signer } from "@provenant/core";

/**
 * The service's signer. By default the PKCS#8 PEM key `signing.key` that
 * `provenant server` creates (mode 0600) in its data directory. Any object
 * with core's `Signer` shape works instead: a KMS or HSM signer implements
 * `keyId` (hex SHA-256 of its public key's DER SPKI) and `sign(data)`
 * returning the signature bytes (ECDSA as DER, as Node's `crypto.sign`
 * makes them), and is passed as `signer` to `signProvenance` /
 * `createSigningService`; the private key then never exists on the server.
 */
export async function fileSigner(path: string): Promise<Signer> {
  let pem: string;
  try {
    pem = await readFile(path, "utf8");
  } catch (cause) {
    throw new ProvenantError("KEY_UNREADABLE", `cannot read the service signing key ${path}; expected a PKCS#8 PEM private key`, { cause });
  }
  return keySigner(privateKeyFromPem(pem, `service signing key ${path}`));
}
