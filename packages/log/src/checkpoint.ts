import { createHash, createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import { decodeBase64, ProvenantError } from "@provenant/core";
import { bytesEqual, HASH_SIZE } from "./hash.js";

/** Log key: Ed25519 by default, ECDSA P-256 accepted (node:crypto KeyObjects). */
export interface LogKey {
  origin: string;
  privateKey: KeyObject;
}

export interface Checkpoint {
  origin: string;
  size: number;
  rootHash: Uint8Array;
}

export interface NoteSignature {
  name: string;
  keyHash: Uint8Array;
  signature: Uint8Array;
}

// C2SP signed-note: a note is at most a few kilobytes in practice; refuse anything
// large before splitting it (a checkpoint arrives from an untrusted server).
const MAX_NOTE_BYTES = 64 * 1024;
const MAX_SIGNATURES = 100;
const EM_DASH = "\u2014";
// C2SP signed-note signature type of Ed25519.
const ED25519_TYPE = 0x01;

function invalid(message: string, cause?: unknown): ProvenantError {
  return new ProvenantError("CHECKPOINT_INVALID", `checkpoint: ${message}`, cause === undefined ? undefined : { cause });
}

function keyKind(key: KeyObject): "ed25519" | "ecdsa-p256" {
  if (key.asymmetricKeyType === "ed25519") return "ed25519";
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType === "ec" && (curve === "prime256v1" || curve === "P-256")) return "ecdsa-p256";
  throw new ProvenantError(
    "KEY_UNSUPPORTED",
    `log key of type ${key.asymmetricKeyType ?? "unknown"}: expected Ed25519 or ECDSA P-256`,
  );
}

/**
 * The full 32-byte key id of a note key; its first 4 bytes are the note's key
 * hash. Ed25519 (C2SP signed-note, type 0x01): SHA-256(name || 0x0A || 0x01 ||
 * 32-byte public key). ECDSA (signed-note type 0x02, as transparency-dev's
 * witness and Rekor sign checkpoints): SHA-256 of the DER SubjectPublicKeyInfo,
 * the name not hashed in.
 */
export function noteKeyId(origin: string, publicKey: KeyObject): Uint8Array {
  // Every entry and checkpoint signed or verified asks for the id of the same
  // key: exporting and hashing it once per key and origin, not per entry.
  let byOrigin = keyIdCache.get(publicKey);
  if (!byOrigin) {
    byOrigin = new Map();
    keyIdCache.set(publicKey, byOrigin);
  }
  let id = byOrigin.get(origin);
  if (!id) {
    id = computeNoteKeyId(origin, publicKey);
    byOrigin.set(origin, id);
  }
  // A copy: callers may slice or keep it, never change the cached one.
  return id.slice();
}

const keyIdCache = new WeakMap<KeyObject, Map<string, Uint8Array>>();

function computeNoteKeyId(origin: string, publicKey: KeyObject): Uint8Array {
  const pub = publicKey.type === "private" ? createPublicKey(publicKey) : publicKey;
  if (keyKind(pub) === "ed25519") {
    const der = pub.export({ type: "spki", format: "der" });
    const raw = der.subarray(der.length - 32);
    return new Uint8Array(
      createHash("sha256")
        .update(Buffer.from(origin, "utf8"))
        .update(Uint8Array.of(0x0a, ED25519_TYPE))
        .update(raw)
        .digest(),
    );
  }
  return new Uint8Array(createHash("sha256").update(pub.export({ type: "spki", format: "der" })).digest());
}

/** C2SP signed-note forbids ASCII control characters (below U+0020) other than newline. */
function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) < 0x20) return true;
  return false;
}

function checkOrigin(origin: string): void {
  // A key name is non-empty, has no whitespace or "+" (C2SP signed-note); the origin doubles as key name here.
  if (origin.length === 0 || origin.length > 256 || /[\s+]/u.test(origin) || hasControlCharacter(origin)) {
    throw new ProvenantError("USAGE", `log origin "${origin}": expected a non-empty name without spaces or "+"`);
  }
}

/** The checkpoint body (C2SP tlog-checkpoint): origin, decimal size, base64 root, each ending in a newline. */
export function checkpointBody(cp: Checkpoint): string {
  checkOrigin(cp.origin);
  if (!Number.isSafeInteger(cp.size) || cp.size < 0) {
    throw new ProvenantError("USAGE", `checkpoint size ${cp.size}: expected a non-negative integer`);
  }
  if (cp.rootHash.length !== HASH_SIZE) {
    throw new ProvenantError("USAGE", `checkpoint root hash of ${cp.rootHash.length} bytes: expected 32`);
  }
  return `${cp.origin}\n${cp.size}\n${Buffer.from(cp.rootHash).toString("base64")}\n`;
}

/** Signs data the way note signatures are made: Ed25519 over the bytes, or ECDSA P-256 with SHA-256 (DER). */
export function signWithLogKey(data: Uint8Array, privateKey: KeyObject): Uint8Array {
  return new Uint8Array(sign(keyKind(privateKey) === "ed25519" ? null : "sha256", data, privateKey));
}

export function verifyWithLogKey(data: Uint8Array, publicKey: KeyObject, signature: Uint8Array): boolean {
  try {
    return verify(keyKind(publicKey) === "ed25519" ? null : "sha256", data, publicKey, signature);
  } catch {
    return false;
  }
}

/** A signed note (C2SP signed-note) carrying the checkpoint, signed by the log key under the name `origin`. */
export function signCheckpoint(cp: Checkpoint, key: LogKey): string {
  const body = checkpointBody(cp);
  if (cp.origin !== key.origin) {
    throw new ProvenantError("USAGE", `checkpoint origin "${cp.origin}" differs from the log key's origin "${key.origin}"`);
  }
  const keyHash = noteKeyId(key.origin, key.privateKey).subarray(0, 4);
  const signature = signWithLogKey(Buffer.from(body, "utf8"), key.privateKey);
  const blob = Buffer.concat([keyHash, signature]).toString("base64");
  return `${body}\n${EM_DASH} ${key.origin} ${blob}\n`;
}

/** Splits a signed note into its text and signature lines; no signature is checked. */
function splitNote(note: string): { text: string; signatures: NoteSignature[] } {
  if (typeof note !== "string" || Buffer.byteLength(note, "utf8") > MAX_NOTE_BYTES) {
    throw invalid(`expected a signed note of at most ${MAX_NOTE_BYTES} bytes`);
  }
  if (hasControlCharacter(note.replaceAll("\n", ""))) throw invalid("holds control characters other than newline");
  // The text ends at the last blank line; signatures follow (C2SP signed-note).
  const split = note.lastIndexOf("\n\n");
  if (split < 0 || !note.endsWith("\n")) throw invalid("expected text, a blank line, and signature lines ending in a newline");
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split("\n");
  if (lines.length > MAX_SIGNATURES) throw invalid(`more than ${MAX_SIGNATURES} signature lines`);
  const signatures = lines.map((line, i) => {
    const match = /^\u2014 (\S+) (\S+)$/u.exec(line);
    if (!match) throw invalid(`signature line ${i + 1}: expected "${EM_DASH} <name> <base64>"`);
    let blob: Buffer;
    try {
      blob = decodeBase64(match[2]!, `signature line ${i + 1}`);
    } catch (error) {
      throw invalid(`signature line ${i + 1}: not valid base64`, error);
    }
    if (blob.length < 5) throw invalid(`signature line ${i + 1}: expected a 4-byte key hash and a signature`);
    return { name: match[1]!, keyHash: new Uint8Array(blob.subarray(0, 4)), signature: new Uint8Array(blob.subarray(4)) };
  });
  return { text, signatures };
}

/** Parses a checkpoint note without checking any signature. */
export function parseCheckpoint(note: string): Checkpoint & { signatures: NoteSignature[] } {
  const { text, signatures } = splitNote(note);
  const lines = text.slice(0, -1).split("\n");
  if (lines.length < 3) throw invalid("expected origin, tree size and root hash lines");
  const [origin, sizeText, rootText] = lines as [string, string, string];
  if (origin.length === 0) throw invalid("empty origin line");
  if (!/^(0|[1-9][0-9]{0,15})$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
    throw invalid(`tree size "${sizeText.slice(0, 40)}": expected a decimal integer without leading zeros`);
  }
  let rootHash: Buffer;
  try {
    rootHash = decodeBase64(rootText, "root hash");
  } catch (error) {
    throw invalid("root hash: expected base64", error);
  }
  if (rootHash.length !== HASH_SIZE) throw invalid(`root hash of ${rootHash.length} bytes: expected 32`);
  return { origin, size: Number(sizeText), rootHash: new Uint8Array(rootHash), signatures };
}

/**
 * Verifies a checkpoint against the trusted log key: the origin line must be
 * the trusted origin and a signature by that key (matched by name and key
 * hash) must verify. Unknown signatures (witnesses) are ignored, as C2SP
 * signed-note asks; a failing signature from the trusted key rejects the note.
 */
export function verifyCheckpoint(note: string, trusted: { origin: string; publicKey: KeyObject }): Checkpoint {
  const parsed = parseCheckpoint(note);
  if (parsed.origin !== trusted.origin) {
    throw invalid(`origin "${parsed.origin.slice(0, 200)}" is not the trusted log "${trusted.origin}"`);
  }
  const keyHash = noteKeyId(trusted.origin, trusted.publicKey).subarray(0, 4);
  const mine = parsed.signatures.filter((s) => s.name === trusted.origin && bytesEqual(s.keyHash, keyHash));
  if (mine.length === 0) throw invalid(`no signature by the trusted key of "${trusted.origin}"`);
  const text = Buffer.from(note.slice(0, note.lastIndexOf("\n\n") + 1), "utf8");
  for (const s of mine) {
    if (!verifyWithLogKey(text, trusted.publicKey, s.signature)) {
      throw invalid(`the signature by "${trusted.origin}" does not verify`);
    }
  }
  return { origin: parsed.origin, size: parsed.size, rootHash: parsed.rootHash };
}
