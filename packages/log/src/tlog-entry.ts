import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import { decodeBase64, type Envelope, ProvenantError, parseBundle } from "@provenant/core";
import { canonicalJson } from "./canonical-json.js";
import { type LogKey, noteKeyId, parseCheckpoint, signWithLogKey, verifyCheckpoint, verifyWithLogKey } from "./checkpoint.js";
import { bytesEqual, leafHash, toHex } from "./hash.js";
import { verifyInclusion } from "./proofs.js";

/** Rekor's `dsse` entry type, version 0.0.1: the kind/version a bundle's tlog entry names. */
export const DSSE_KIND = "dsse";
export const DSSE_VERSION = "0.0.1";
export const TRUSTED_ROOT_MEDIA_TYPE = "application/vnd.dev.sigstore.trustedroot+json;version=0.1";

const sha256Hex = (data: Uint8Array | string): string => createHash("sha256").update(data).digest("hex");
const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64");

function publicOf(key: KeyObject): KeyObject {
  return key.type === "private" ? createPublicKey(key) : key;
}

/**
 * The body Rekor's `dsse` 0.0.1 type records for an envelope: hashes of the
 * envelope and of the payload, and each signature with its verifier (the
 * base64 of the PEM public key). The envelope hash is taken over the
 * envelope's canonical JSON, since the bytes a client sent are not kept.
 * `publicKeyPem` is one key for every signature, or one per signature.
 */
export function dsseEntryBody(envelope: Envelope, publicKeyPem: string | readonly string[]): Uint8Array {
  const pems = typeof publicKeyPem === "string" ? envelope.signatures.map(() => publicKeyPem) : [...publicKeyPem];
  if (pems.length !== envelope.signatures.length || pems.length === 0) {
    throw new ProvenantError(
      "USAGE",
      `dsse entry: ${envelope.signatures.length} signatures and ${pems.length} public keys; expected one key per signature`,
    );
  }
  const body = {
    apiVersion: DSSE_VERSION,
    kind: DSSE_KIND,
    spec: {
      envelopeHash: { algorithm: "sha256", value: sha256Hex(canonicalJson(envelope)) },
      payloadHash: { algorithm: "sha256", value: sha256Hex(decodeBase64(envelope.payload, "DSSE payload")) },
      signatures: envelope.signatures.map((s, i) => ({
        signature: s.sig,
        verifier: Buffer.from(pems[i]!, "utf8").toString("base64"),
      })),
    },
  };
  return new Uint8Array(Buffer.from(canonicalJson(body), "utf8"));
}

/**
 * The signed entry timestamp (Rekor's "inclusion promise"): the log key's
 * signature over the canonical JSON of {body, integratedTime, logID, logIndex}
 * with the body in base64 and the log id in hex, as @sigstore/verify
 * recreates it.
 */
function setPayload(body: Uint8Array, integratedTime: number, logId: Uint8Array, logIndex: number): Uint8Array {
  return Buffer.from(canonicalJson({ body: b64(body), integratedTime, logID: toHex(logId), logIndex }), "utf8");
}

export interface TlogEntryInput {
  logIndex: number;
  body: Uint8Array;
  /** Unix seconds. */
  integratedTime: number;
  treeSize: number;
  rootHash: Uint8Array;
  proof: readonly Uint8Array[];
  /** The signed checkpoint note of `treeSize`. */
  checkpoint: string;
  key: LogKey;
}

/**
 * A Sigstore bundle `verificationMaterial.tlogEntries[]` element
 * (protobuf-specs JSON: int64 as strings, bytes as base64). Refuses input
 * whose proof, checkpoint and root do not agree, so a server bug cannot hand
 * out an entry that fails verification later.
 */
export function tlogEntry(input: TlogEntryInput): Record<string, unknown> {
  const { logIndex, body, integratedTime, treeSize, rootHash, proof, checkpoint, key } = input;
  if (!Number.isSafeInteger(integratedTime) || integratedTime < 0) {
    throw new ProvenantError("USAGE", `integratedTime ${integratedTime}: expected unix seconds`);
  }
  let kind: unknown;
  let version: unknown;
  try {
    ({ kind, apiVersion: version } = JSON.parse(Buffer.from(body).toString("utf8")) as Record<string, unknown>);
  } catch (error) {
    throw new ProvenantError("USAGE", "tlog entry body is not JSON; expected a Rekor entry body such as dsseEntryBody()", { cause: error });
  }
  if (typeof kind !== "string" || typeof version !== "string") {
    throw new ProvenantError("USAGE", "tlog entry body names no kind and apiVersion; expected a Rekor entry body");
  }
  const cp = parseCheckpoint(checkpoint);
  if (cp.size !== treeSize || !bytesEqual(cp.rootHash, rootHash) || cp.origin !== key.origin) {
    throw new ProvenantError("USAGE", `checkpoint (size ${cp.size}) does not match tree size ${treeSize}, its root, or the log origin`);
  }
  if (!verifyInclusion(leafHash(body), logIndex, treeSize, proof, rootHash)) {
    throw new ProvenantError("INCLUSION_PROOF_INVALID", `inclusion proof of entry ${logIndex} in a tree of ${treeSize} does not verify`);
  }
  const logId = noteKeyId(key.origin, key.privateKey);
  const set = signWithLogKey(setPayload(body, integratedTime, logId, logIndex), key.privateKey);
  return {
    logIndex: String(logIndex),
    logId: { keyId: b64(logId) },
    kindVersion: { kind, version },
    integratedTime: String(integratedTime),
    inclusionPromise: { signedEntryTimestamp: b64(set) },
    inclusionProof: {
      logIndex: String(logIndex),
      rootHash: b64(rootHash),
      treeSize: String(treeSize),
      hashes: proof.map(b64),
      checkpoint: { envelope: checkpoint },
    },
    canonicalizedBody: b64(body),
  };
}

/** A Sigstore TrustedRoot (protobuf-specs JSON) holding this log alone: no CAs, CT logs or TSAs. */
export function trustedRoot(input: {
  baseUrl: string;
  origin: string;
  publicKey: KeyObject;
  validFrom: string;
}): Record<string, unknown> {
  // @sigstore/verify matches a checkpoint signature to a log by its name being part of baseUrl.
  if (!input.baseUrl.includes(input.origin)) {
    throw new ProvenantError("USAGE", `trusted root: log origin "${input.origin}" must be part of baseUrl "${input.baseUrl}"`);
  }
  const publicKey = publicOf(input.publicKey);
  const keyId = { keyId: b64(noteKeyId(input.origin, publicKey)) };
  return {
    mediaType: TRUSTED_ROOT_MEDIA_TYPE,
    tlogs: [
      {
        baseUrl: input.baseUrl,
        hashAlgorithm: "SHA2_256",
        publicKey: {
          rawBytes: b64(publicKey.export({ type: "spki", format: "der" })),
          keyDetails: publicKey.asymmetricKeyType === "ed25519" ? "PKIX_ED25519" : "PKIX_ECDSA_P256_SHA_256",
          validFor: { start: input.validFrom },
        },
        // Both ids are the full C2SP key id: @sigstore/verify compares the note's
        // 4-byte key hash with the first bytes of this id.
        logId: keyId,
        checkpointKeyId: keyId,
      },
    ],
    certificateAuthorities: [],
    ctlogs: [],
    timestampAuthorities: [],
  };
}

// ----------------------------------------------------------------- verification

function entryError(index: number, message: string, cause?: unknown): ProvenantError {
  return new ProvenantError("TLOG_ENTRY_INVALID", `tlogEntries[${index}]: ${message}`, cause === undefined ? undefined : { cause });
}

function field(value: unknown, path: string, index: number): unknown {
  let current = value;
  for (const part of path.split(".")) {
    if (current === null || typeof current !== "object") throw entryError(index, `missing ${path}`);
    current = (current as Record<string, unknown>)[part];
  }
  if (current === undefined) throw entryError(index, `missing ${path}`);
  return current;
}

function intField(value: unknown, path: string, index: number): number {
  const raw = field(value, path, index);
  const text = typeof raw === "number" ? String(raw) : raw;
  if (typeof text !== "string" || !/^(0|[1-9][0-9]{0,15})$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw entryError(index, `${path}: expected a non-negative integer`);
  }
  return Number(text);
}

function bytesField(value: unknown, path: string, index: number): Uint8Array {
  const raw = field(value, path, index);
  if (typeof raw !== "string") throw entryError(index, `${path}: expected base64`);
  try {
    return new Uint8Array(decodeBase64(raw, path));
  } catch (error) {
    throw entryError(index, `${path}: expected base64`, error);
  }
}

/**
 * Provenant's own offline check of a bundle's tlog entries against the trusted
 * log key: the body is the Rekor dsse body of the bundle's envelope, the log
 * id is the key's, the inclusion proof leads to the checkpoint's root, the
 * checkpoint is signed by the log key (every signature by that key must hold),
 * and the signed entry timestamp verifies. Returns the first entry's position.
 */
export function verifyTlogEntries(
  bundle: unknown,
  trusted: { origin: string; publicKey: KeyObject },
): { logIndex: number; treeSize: number; integratedTime: number } {
  const parsed = parseBundle(bundle);
  const envelope = parsed.dsseEnvelope!;
  const entries = parsed.verificationMaterial.tlogEntries ?? [];
  if (entries.length === 0) throw new ProvenantError("TLOG_ENTRY_INVALID", "the bundle holds no tlog entries");
  if (entries.length > 16) throw new ProvenantError("TLOG_ENTRY_INVALID", `the bundle holds ${entries.length} tlog entries; expected at most 16`);
  const publicKey = publicOf(trusted.publicKey);
  const logId = noteKeyId(trusted.origin, publicKey);
  const results = entries.map((entry, i) => {
    if (!bytesEqual(bytesField(entry, "logId.keyId", i), logId)) {
      throw entryError(i, `logId is not the key id of the trusted log "${trusted.origin}"`);
    }
    const kind = field(entry, "kindVersion.kind", i);
    const version = field(entry, "kindVersion.version", i);
    if (kind !== DSSE_KIND || version !== DSSE_VERSION) {
      // JSON.stringify escapes control characters: the values come from an untrusted bundle.
      const shown = JSON.stringify([kind, version]).slice(0, 120);
      throw entryError(i, `kindVersion ${shown}: expected ${DSSE_KIND} ${DSSE_VERSION}`);
    }
    const body = bytesField(entry, "canonicalizedBody", i);
    checkBodyMatchesEnvelope(body, envelope, i);
    const logIndex = intField(entry, "logIndex", i);
    const integratedTime = intField(entry, "integratedTime", i);
    const set = bytesField(entry, "inclusionPromise.signedEntryTimestamp", i);
    if (!verifyWithLogKey(setPayload(body, integratedTime, logId, logIndex), publicKey, set)) {
      throw entryError(i, "the signed entry timestamp (inclusion promise) does not verify");
    }
    const proofIndex = intField(entry, "inclusionProof.logIndex", i);
    const treeSize = intField(entry, "inclusionProof.treeSize", i);
    const rootHash = bytesField(entry, "inclusionProof.rootHash", i);
    const hashesRaw = field(entry, "inclusionProof.hashes", i);
    if (!Array.isArray(hashesRaw) || hashesRaw.length > 64) throw entryError(i, "inclusionProof.hashes: expected at most 64 hashes");
    const hashes = hashesRaw.map((_, h) => bytesField(entry, `inclusionProof.hashes.${h}`, i));
    const note = field(entry, "inclusionProof.checkpoint.envelope", i);
    if (typeof note !== "string") throw entryError(i, "inclusionProof.checkpoint.envelope: expected a signed note");
    const cp = verifyCheckpoint(note, trusted);
    if (proofIndex !== logIndex) throw entryError(i, `inclusionProof.logIndex ${proofIndex} differs from logIndex ${logIndex}`);
    if (cp.size !== treeSize || !bytesEqual(cp.rootHash, rootHash)) {
      throw entryError(i, `the checkpoint (size ${cp.size}) does not match the proof's tree size ${treeSize} and root`);
    }
    if (!verifyInclusion(leafHash(body), logIndex, treeSize, hashes, rootHash)) {
      throw new ProvenantError(
        "INCLUSION_PROOF_INVALID",
        `tlogEntries[${i}]: the inclusion proof of entry ${logIndex} does not lead to the checkpoint's root (size ${treeSize})`,
      );
    }
    return { logIndex, treeSize, integratedTime };
  });
  return results[0]!;
}

function checkBodyMatchesEnvelope(body: Uint8Array, envelope: Envelope, index: number): void {
  let parsed: { kind?: unknown; apiVersion?: unknown; spec?: { payloadHash?: { value?: unknown }; signatures?: unknown } };
  try {
    parsed = JSON.parse(Buffer.from(body).toString("utf8"));
  } catch (error) {
    throw entryError(index, "canonicalizedBody is not JSON", error);
  }
  if (parsed?.kind !== DSSE_KIND || parsed.apiVersion !== DSSE_VERSION) {
    throw entryError(index, "canonicalizedBody is not a dsse 0.0.1 body");
  }
  const payloadHash = sha256Hex(decodeBase64(envelope.payload, "DSSE payload"));
  if (parsed.spec?.payloadHash?.value !== payloadHash) {
    throw entryError(index, "canonicalizedBody's payload hash differs from the envelope's payload");
  }
  const signatures = parsed.spec?.signatures;
  const logged = Array.isArray(signatures) ? signatures.map((s) => (s as { signature?: unknown })?.signature) : [];
  const present = envelope.signatures.map((s) => s.sig);
  if (logged.length !== present.length || logged.some((s, i) => s !== present[i])) {
    throw entryError(index, "canonicalizedBody's signatures differ from the envelope's");
  }
}
