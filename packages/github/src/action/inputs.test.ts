import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parse } from "yaml";
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

  it.each([
    ["attest", attestInputsFrom],
    ["verify", verifyInputsFrom],
  ] as const)("the %s action reads exactly the inputs its action.yml declares", async (action, read) => {
    const declared = Object.keys((parse(await readFile(resolve(import.meta.dirname, `../../${action}/action.yml`), "utf8")) as { inputs: object }).inputs);
    const asked = new Set<string>();
    read((name) => {
      asked.add(name);
      return name === "bundle-path" ? "b.json" : "";
    });
    expect([...asked].sort()).toEqual(declared.sort());
  });
});
