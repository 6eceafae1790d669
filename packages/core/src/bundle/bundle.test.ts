import { describe, expect, it } from "vitest";
import { keySigner } from "../dsse/signer.js";
import { isProvenantError } from "../error.js";
import { attest } from "../statement/attest.js";
import { inspect } from "../statement/inspect.js";
import { ecKeys, SHA_A, sampleProvenance } from "../test-support.js";
import { bundleTextPieces, parseBundle, toBundle } from "./bundle.js";

const keys = ecKeys();

describe("Sigstore bundle v0.3", () => {
  it("is written in the public-key form with hint = keyid", async () => {
    const { bundle } = await attest([{ name: "a", digest: { sha256: SHA_A } }], sampleProvenance(), keySigner(keys.privateKey));
    expect(bundle.mediaType).toBe("application/vnd.dev.sigstore.bundle.v0.3+json");
    expect(bundle.verificationMaterial.publicKey?.hint).toBe(bundle.dsseEnvelope?.signatures[0]?.keyid);
    expect(bundle.verificationMaterial.publicKey?.hint).toMatch(/^[0-9a-f]{64}$/);
    expect(bundle.dsseEnvelope?.payloadType).toBe("application/vnd.in-toto+json");
  });

  it("parses the certificate form (keyless bundles) for inspection", async () => {
    const { envelope } = await attest([{ name: "a", digest: { sha256: SHA_A } }], sampleProvenance(), keySigner(keys.privateKey));
    const keyless = {
      mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
      verificationMaterial: { certificate: { rawBytes: "MIIB" }, tlogEntries: [] },
      dsseEnvelope: envelope,
    };
    expect(parseBundle(keyless).verificationMaterial.certificate?.rawBytes).toBe("MIIB");
    expect(inspect(keyless).statement.subject[0]!.digest.sha256).toBe(SHA_A);
  });

  it("refuses an unknown media type and a message-signature bundle", () => {
    try {
      parseBundle({ mediaType: "application/json", verificationMaterial: { publicKey: { hint: "" } } });
      expect.unreachable();
    } catch (error) {
      expect(isProvenantError(error, "MALFORMED_BUNDLE")).toBe(true);
      expect((error as Error).message).toContain("mediaType");
    }
    expect(() =>
      parseBundle({ mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json", verificationMaterial: { publicKey: { hint: "" } }, messageSignature: {} }),
    ).toThrow(/message signature/);
  });

  it("holds exactly one signature", async () => {
    const { envelope } = await attest([{ name: "a", digest: { sha256: SHA_A } }], sampleProvenance(), keySigner(keys.privateKey));
    expect(() => toBundle({ ...envelope, signatures: [...envelope.signatures, ...envelope.signatures] })).toThrow(/one signature/);
  });
});

describe("bundleTextPieces", () => {
  const text = (bundle: unknown) => `${JSON.stringify(bundle, null, 2)}\n`;

  it("joins to exactly the indented bundle text, the payload of a large release a piece of its own", async () => {
    const subjects = Array.from({ length: 200 }, (_, i) => ({ name: `dist/file-${i}.bin`, digest: { sha256: SHA_A } }));
    const { bundle } = await attest(subjects, sampleProvenance(), keySigner(keys.privateKey));
    const pieces = bundleTextPieces(bundle);
    expect(pieces.join("")).toBe(text(bundle));
    expect(pieces).toContain(bundle.dsseEnvelope!.payload);
  });

  it("joins to the same text when another field is also a payload, or the payload is not base64 or small", async () => {
    const { bundle } = await attest([{ name: "a", digest: { sha256: SHA_A } }], sampleProvenance(), keySigner(keys.privateKey));
    const long = "QUJD".repeat(2000);
    const twice = { ...bundle, verificationMaterial: { ...bundle.verificationMaterial, tlogEntries: [{ payload: "" }] }, dsseEnvelope: { ...bundle.dsseEnvelope!, payload: long } };
    const quoted = { ...bundle, dsseEnvelope: { ...bundle.dsseEnvelope!, payload: `"payload": ""${"x".repeat(5000)}` } };
    for (const odd of [bundle, twice, quoted]) {
      expect(bundleTextPieces(odd).join("")).toBe(text(odd));
    }
    expect(bundleTextPieces(twice)).toHaveLength(1);
  });
});
