import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { isProvenantError } from "../error.js";
import { keyIdOf } from "../keys/algorithms.js";
import { ecKeys } from "../test-support.js";
import { preAuthEncoding } from "./pae.js";
import { signEnvelope, verifyEnvelope } from "./envelope.js";
import { keySigner } from "./signer.js";

const payload = Buffer.from('{"hello":"world"}');

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (isProvenantError(error)) return error.code;
    throw error;
  }
  return undefined;
}

describe("preAuthEncoding", () => {
  it("follows the DSSE v1 layout with byte lengths", () => {
    // The example from the DSSE protocol: lengths are of the UTF-8 bytes.
    expect(preAuthEncoding("http://example.com/HelloWorld", Buffer.from("hello world")).toString()).toBe(
      "DSSEv1 29 http://example.com/HelloWorld 11 hello world",
    );
    expect(preAuthEncoding("t", Buffer.from("é")).toString()).toBe("DSSEv1 1 t 2 é");
  });
});

describe("sign and verify envelopes", () => {
  const algorithms = {
    "ecdsa-p256": () => ecKeys("P-256"),
    "ecdsa-p384": () => ecKeys("P-384"),
    ed25519: () => generateKeyPairSync("ed25519"),
    "rsa-pkcs1": () => generateKeyPairSync("rsa", { modulusLength: 2048 }),
  };
  for (const [name, make] of Object.entries(algorithms)) {
    it(`round-trips with ${name} and names the key`, async () => {
      const { privateKey, publicKey } = make();
      const envelope = await signEnvelope(payload, [keySigner(privateKey)]);
      expect(envelope.signatures[0]!.keyid).toBe(keyIdOf(publicKey));
      const result = verifyEnvelope(envelope, [{ publicKey }]);
      expect(result.signedBy).toEqual([keyIdOf(publicKey)]);
      expect(result.payload.equals(payload)).toBe(true);
    });
  }

  it("verifies RSA-PSS signatures", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const envelope = await signEnvelope(payload, [keySigner(privateKey, { rsaPadding: "pss" })]);
    expect(verifyEnvelope(envelope, [{ publicKey }]).signedBy).toHaveLength(1);
  });

  it("refuses a signature by a key that is not trusted", async () => {
    const signer = ecKeys();
    const other = ecKeys();
    const envelope = await signEnvelope(payload, [keySigner(signer.privateKey)]);
    expect(codeOf(() => verifyEnvelope(envelope, [{ publicKey: other.publicKey }]))).toBe("UNTRUSTED_KEY");
  });

  it("refuses an altered payload", async () => {
    const { privateKey, publicKey } = ecKeys();
    const envelope = await signEnvelope(payload, [keySigner(privateKey)]);
    const altered = { ...envelope, payload: Buffer.from('{"hello":"there"}').toString("base64") };
    expect(codeOf(() => verifyEnvelope(altered, [{ publicKey }]))).toBe("SIGNATURE_INVALID");
  });

  it("refuses a wrong payloadType even with a good signature", async () => {
    const { privateKey, publicKey } = ecKeys();
    const envelope = await signEnvelope(payload, [keySigner(privateKey)], "application/json");
    expect(codeOf(() => verifyEnvelope(envelope, [{ publicKey }]))).toBe("WRONG_PAYLOAD_TYPE");
  });

  it("refuses truncated and non-canonical base64", async () => {
    const { privateKey, publicKey } = ecKeys();
    const envelope = await signEnvelope(payload, [keySigner(privateKey)]);
    const sig = envelope.signatures[0]!.sig;
    const truncated = { ...envelope, signatures: [{ ...envelope.signatures[0]!, sig: sig.slice(0, -3) }] };
    expect(codeOf(() => verifyEnvelope(truncated, [{ publicKey }]))).toBe("INVALID_BASE64");
    // "QQ==" is "A"; "QR==" decodes to the same byte with unused bits set.
    const nonCanonical = { ...envelope, payload: "QR==" };
    expect(codeOf(() => verifyEnvelope(nonCanonical, [{ publicKey }]))).toBe("INVALID_BASE64");
    const unpadded = { ...envelope, payload: envelope.payload.replace(/=+$/, "") };
    if (unpadded.payload !== envelope.payload) {
      expect(codeOf(() => verifyEnvelope(unpadded, [{ publicKey }]))).toBe("INVALID_BASE64");
    }
  });

  it("counts distinct trusted keys against the threshold", async () => {
    const a = ecKeys();
    const b = generateKeyPairSync("ed25519");
    const envelope = await signEnvelope(payload, [keySigner(a.privateKey), keySigner(b.privateKey)]);
    const trusted = [{ publicKey: a.publicKey }, { publicKey: b.publicKey }];
    expect(verifyEnvelope(envelope, trusted, 2).signedBy).toHaveLength(2);
    expect(codeOf(() => verifyEnvelope(envelope, [{ publicKey: a.publicKey }], 2))).toBe("SIGNATURE_THRESHOLD");
    // The same signature twice is still one key.
    const doubled = { ...envelope, signatures: [envelope.signatures[0]!, envelope.signatures[0]!] };
    expect(codeOf(() => verifyEnvelope(doubled, trusted, 2))).toBe("SIGNATURE_THRESHOLD");
  });

  it("counts one key given in two encodings once", async () => {
    const { privateKey, publicKey } = ecKeys();
    // The same P-256 key with its point compressed: another DER form, another key id.
    const { x, y } = publicKey.export({ format: "jwk" }) as { x: string; y: string };
    const point = Buffer.concat([Buffer.from([2 + (Buffer.from(y, "base64url")[31]! & 1)]), Buffer.from(x, "base64url")]);
    const spki = Buffer.concat([Buffer.from("3039301306072a8648ce3d020106082a8648ce3d030107032200", "hex"), point]);
    const compressed = createPublicKey({ key: spki, format: "der", type: "spki" });
    expect(keyIdOf(compressed)).not.toBe(keyIdOf(publicKey));
    // Two signatures by the one private key, each naming one of the two ids.
    const first = await signEnvelope(payload, [keySigner(privateKey)]);
    const second = await signEnvelope(payload, [{ keyId: keyIdOf(compressed), sign: keySigner(privateKey).sign }]);
    const envelope = { ...first, signatures: [first.signatures[0]!, second.signatures[0]!] };
    const trusted = [{ publicKey }, { publicKey: compressed }];
    expect(codeOf(() => verifyEnvelope(envelope, trusted, 2))).toBe("SIGNATURE_THRESHOLD");
    expect(verifyEnvelope(envelope, trusted, 1).signedBy).toEqual([keyIdOf(publicKey)]);
  });

  it("tries every trusted key for a signature without a keyid", async () => {
    const { privateKey, publicKey } = ecKeys();
    const envelope = await signEnvelope(payload, [keySigner(privateKey)]);
    const anonymous = { ...envelope, signatures: [{ sig: envelope.signatures[0]!.sig }] };
    expect(verifyEnvelope(anonymous, [{ publicKey: ecKeys().publicKey }, { publicKey }]).signedBy).toEqual([
      keyIdOf(publicKey),
    ]);
  });
});
