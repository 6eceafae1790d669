import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { keyIdOf } from "./algorithms.js";
import { serviceKeysOfTrustedRoot, TRUSTED_ROOT_SERVICE_KEYS, trustedRootServiceKey } from "./trusted-root.js";

const p256 = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey;
const ed25519 = generateKeyPairSync("ed25519").publicKey;

describe("service keys in a trusted root", () => {
  it("reads back the keys a server wrote, with the TrustedRoot's key details", () => {
    const entries = [trustedRootServiceKey(p256, "2026-01-01T00:00:00Z"), trustedRootServiceKey(ed25519, "2026-01-01T00:00:00Z")];
    expect(entries.map((e) => e.publicKey.keyDetails)).toEqual(["PKIX_ECDSA_P256_SHA_256", "PKIX_ED25519"]);
    const keys = serviceKeysOfTrustedRoot({ tlogs: [], [TRUSTED_ROOT_SERVICE_KEYS]: entries }, "trusted-root.json");
    expect(keys.map((k) => keyIdOf(k))).toEqual([keyIdOf(p256), keyIdOf(ed25519)]);
  });

  it("reads none from a trusted root without the member (a plain Sigstore one)", () => {
    expect(serviceKeysOfTrustedRoot({ tlogs: [] }, "root.json")).toEqual([]);
  });

  it("refuses an entry whose keyId is not its key's, a key that is not DER, and a member that is not a short list", () => {
    const entry = trustedRootServiceKey(p256, "2026-01-01T00:00:00Z");
    const wrongId = { ...entry, keyId: keyIdOf(ed25519) };
    expect(() => serviceKeysOfTrustedRoot({ [TRUSTED_ROOT_SERVICE_KEYS]: [wrongId] }, "root.json")).toThrow(
      expect.objectContaining({ code: "KEY_UNREADABLE", message: expect.stringContaining("is not the SHA-256") }),
    );
    const notDer = { ...entry, publicKey: { ...entry.publicKey, rawBytes: "bm90IGEga2V5" } };
    expect(() => serviceKeysOfTrustedRoot({ [TRUSTED_ROOT_SERVICE_KEYS]: [notDer] }, "root.json")).toThrow(expect.objectContaining({ code: "KEY_UNREADABLE" }));
    expect(() => serviceKeysOfTrustedRoot({ [TRUSTED_ROOT_SERVICE_KEYS]: {} }, "root.json")).toThrow(expect.objectContaining({ code: "KEY_UNREADABLE" }));
    expect(() => serviceKeysOfTrustedRoot({ [TRUSTED_ROOT_SERVICE_KEYS]: Array(17).fill(entry) }, "root.json")).toThrow(expect.objectContaining({ code: "KEY_UNREADABLE" }));
  });
});
