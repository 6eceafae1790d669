import { createPublicKey, type KeyObject } from "node:crypto";
import { resolve } from "node:path";
import { ProvenantError, serviceKeysOfTrustedRoot } from "@provenant/core";
import { type Io, parseJson, readTextFile } from "../io.js";

/** The log key a verifier trusts, and the origin its checkpoints must name (when pinned). */
export interface LogTrust {
  publicKey: KeyObject;
  /** From --log-origin; otherwise read from the checkpoint being checked. */
  origin?: string;
  /** The signing service keys a --trusted-root file marks (its `provenant_serviceKeys`); none from --log-key. */
  serviceKeys: KeyObject[];
}

/** Reads `--log-key PEM` or `--trusted-root FILE` (a Sigstore TrustedRoot whose tlogs hold the vault's key). */
export async function loadLogTrust(inputs: { logKey?: string; trustedRoot?: string; logOrigin?: string }, io: Io): Promise<LogTrust> {
  if (inputs.logKey && inputs.trustedRoot) throw new ProvenantError("USAGE", "give --log-key or --trusted-root, not both");
  if (inputs.logKey) {
    const pem = await readTextFile(resolve(io.cwd, inputs.logKey), "log key");
    try {
      return { publicKey: createPublicKey(pem), origin: inputs.logOrigin, serviceKeys: [] };
    } catch (cause) {
      throw new ProvenantError("KEY_UNREADABLE", `${inputs.logKey} is not a PEM public key; expected the vault's log key (printed by provenant server)`, { cause });
    }
  }
  if (inputs.trustedRoot) {
    const root = parseJson(await readTextFile(resolve(io.cwd, inputs.trustedRoot), "trusted root"), inputs.trustedRoot) as {
      tlogs?: { publicKey?: { rawBytes?: string } }[];
    };
    const tlog = root.tlogs?.find((t) => typeof t.publicKey?.rawBytes === "string");
    if (!tlog) throw new ProvenantError("KEY_UNREADABLE", `${inputs.trustedRoot} has no tlogs[].publicKey.rawBytes; expected a Sigstore TrustedRoot written by provenant server`);
    let publicKey: KeyObject;
    try {
      publicKey = createPublicKey({ key: Buffer.from(tlog.publicKey!.rawBytes!, "base64"), format: "der", type: "spki" });
    } catch (cause) {
      throw new ProvenantError("KEY_UNREADABLE", `${inputs.trustedRoot}: the tlog public key is not DER SubjectPublicKeyInfo`, { cause });
    }
    return { publicKey, origin: inputs.logOrigin, serviceKeys: serviceKeysOfTrustedRoot(root, inputs.trustedRoot) };
  }
  throw new ProvenantError("USAGE", "checking the log needs the vault's log key: give --log-key FILE or --trusted-root FILE (printed by provenant server)");
}

/** The origin line of a checkpoint note. */
export function checkpointOrigin(note: string): string {
  return note.split("\n", 1)[0] ?? "";
}

/**
 * The origin to verify `note` under: the pinned one (--log-origin), else the
 * note's own. The signature check binds the origin to the pinned key (the
 * C2SP key hash covers both), so a note from another log still fails.
 */
export function originFor(trust: LogTrust, note: string): string {
  return trust.origin ?? checkpointOrigin(note);
}
