import { createPublicKey, type KeyObject } from "node:crypto";
import { algorithmOf, keyIdOf, type RsaPadding, signBytes } from "../keys/algorithms.js";

/**
 * Anything that can sign: a local key today, a KMS or the signing service
 * later. Async so that remote signers fit without changing callers.
 */
export interface Signer {
  readonly keyId: string;
  sign(data: Uint8Array): Promise<Uint8Array>;
}

/** A Signer over an in-memory private key. The key never leaves this closure. */
export function keySigner(privateKey: KeyObject, options: { rsaPadding?: RsaPadding } = {}): Signer {
  algorithmOf(privateKey);
  const keyId = keyIdOf(createPublicKey(privateKey));
  return {
    keyId,
    async sign(data) {
      return signBytes(privateKey, data, options.rsaPadding);
    },
  };
}
