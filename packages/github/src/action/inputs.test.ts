import { describe, expect, it } from "vitest";
import { attestInputsFrom, secretLinesOf, splitList, verifyInputsFrom } from "./inputs.js";

describe("action inputs", () => {
  it("splits multi-value inputs on newlines and commas, dropping blanks", () => {
    expect(splitList("dist/*.tgz\n  build/app, build/app.sig ,\n\n")).toEqual(["dist/*.tgz", "build/app", "build/app.sig"]);
  });

  it("defaults the bundle path and keeps the key as given", () => {
    const inputs = attestInputsFrom((name) => (name === "signing-key" ? "-----BEGIN PRIVATE KEY-----\nABC\n-----END PRIVATE KEY-----" : ""));
    expect(inputs.bundlePath).toBe("provenance.sigstore.json");
    expect(inputs.signingKey).toContain("\nABC\n");
  });

  it("masks the key's body lines, not its armour", () => {
    expect(secretLinesOf("-----BEGIN PRIVATE KEY-----\r\nMIGH\r\nAgEA\r\n-----END PRIVATE KEY-----\r\n")).toEqual(["MIGH", "AgEA"]);
  });

  it("requires a bundle to verify", () => {
    expect(() => verifyInputsFrom(() => "")).toThrow(/bundle-path/);
  });
});
