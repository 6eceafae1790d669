import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { isProvenantError } from "@provenant/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { noteKeyId, parseCheckpoint, signCheckpoint, verifyCheckpoint } from "./checkpoint.js";
import { toHex } from "./hash.js";

const origin = "127.0.0.1:8080/log";
const ed = generateKeyPairSync("ed25519");
const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isProvenantError(error) ? error.code : "not a ProvenantError";
  }
  return undefined;
}

describe("signed-note checkpoints", () => {
  it("computes the Ed25519 key id of the C2SP signed-note example key", () => {
    // The example verifier key of Go's golang.org/x/mod/sumdb/note documentation "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW":
    // its key hash (c74f20a3) is the first 4 bytes of SHA-256("PeterNeumann" || 0x0A || 0x01 || key).
    const raw = Buffer.from("ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "base64").subarray(1);
    const spki = Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), raw]);
    const key = createPublicKey({ key: spki, format: "der", type: "spki" });
    expect(toHex(noteKeyId("PeterNeumann", key).subarray(0, 4))).toBe("c74f20a3");
  });

  it("round-trips through sign, parse and verify for Ed25519 and ECDSA P-256 keys", () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.boolean(), (size, rootHash, useEc) => {
        const pair = useEc ? ec : ed;
        const note = signCheckpoint({ origin, size, rootHash }, { origin, privateKey: pair.privateKey });
        expect(note.startsWith(`${origin}\n${size}\n${Buffer.from(rootHash).toString("base64")}\n\n\u2014 ${origin} `)).toBe(true);
        const parsed = parseCheckpoint(note);
        expect(parsed.signatures[0]!.keyHash).toEqual(noteKeyId(origin, pair.publicKey).subarray(0, 4));
        expect(verifyCheckpoint(note, { origin, publicKey: pair.publicKey })).toEqual({ origin, size, rootHash });
      }),
      { numRuns: 50 },
    );
  });

  it("rejects a checkpoint whose size, root or signature was changed, or that another key signed", () => {
    const note = signCheckpoint({ origin, size: 10, rootHash: new Uint8Array(32).fill(1) }, { origin, privateKey: ed.privateKey });
    const trusted = { origin, publicKey: ed.publicKey };
    expect(code(() => verifyCheckpoint(note.replace("\n10\n", "\n11\n"), trusted))).toBe("CHECKPOINT_INVALID");
    const root = Buffer.from(new Uint8Array(32).fill(1)).toString("base64");
    const otherRoot = Buffer.from(new Uint8Array(32).fill(2)).toString("base64");
    expect(code(() => verifyCheckpoint(note.replace(root, otherRoot), trusted))).toBe("CHECKPOINT_INVALID");
    const sigLine = note.split("\n")[4]!;
    const blob = Buffer.from(sigLine.split(" ")[2]!, "base64");
    blob[blob.length - 1]! ^= 1;
    const tampered = note.replace(sigLine.split(" ")[2]!, blob.toString("base64"));
    expect(code(() => verifyCheckpoint(tampered, trusted))).toBe("CHECKPOINT_INVALID");
    expect(code(() => verifyCheckpoint(note, { origin, publicKey: generateKeyPairSync("ed25519").publicKey }))).toBe(
      "CHECKPOINT_INVALID",
    );
    expect(code(() => verifyCheckpoint(note, { origin: "other.example/log", publicKey: ed.publicKey }))).toBe("CHECKPOINT_INVALID");
  });

  it("ignores signatures of unknown keys (witnesses) beside the log's own", () => {
    const note = signCheckpoint({ origin, size: 3, rootHash: new Uint8Array(32) }, { origin, privateKey: ed.privateKey });
    const witness = `${note}\u2014 witness.example ${Buffer.alloc(68, 9).toString("base64")}\n`;
    expect(verifyCheckpoint(witness, { origin, publicKey: ed.publicKey }).size).toBe(3);
  });

  it("refuses malformed notes with CHECKPOINT_INVALID", () => {
    for (const bad of ["", "a\n1\n", "a\n01\nAAAA\n\n\u2014 a AAAAAAAA\n", "a\n1\nAAAA\n\n\u2014 a AAAAAAAA\n", "a\n1\n\n\n", "x".repeat(70_000)]) {
      expect(code(() => parseCheckpoint(bad))).toBe("CHECKPOINT_INVALID");
    }
  });
});
