import { generateKeyPairSync } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { scratch } from "../test-support.js";
import { runServer } from "./server.js";

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await scratch());
});
afterEach(async () => {
  await cleanup();
});

/** Runs `provenant server` until it has printed its banner, then stops it (the signal wait returns at once). */
async function banner(): Promise<string> {
  const out: string[] = [];
  const io = { stdout: (text: string) => out.push(text), stderr: () => undefined, env: {}, cwd: dir, isTTY: false };
  expect(await runServer({ data: "data", listen: "127.0.0.1:0" }, io, { wait: async () => undefined })).toBe(0);
  return out.join("");
}

describe("provenant server", () => {
  it("names the policies POST /v1/verify serves, or where to put them", async () => {
    expect(await banner()).toContain(`policies for POST /v1/verify: none (put policy files in ${join(dir, "data", "policies")})`);
    await mkdir(join(dir, "data", "policies"), { recursive: true });
    const pem = (generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "pem" }) as string).trim();
    await writeFile(
      join(dir, "data", "policies", "release.yaml"),
      `apiVersion: provenant.dev/v1\ntrust:\n  keys:\n    - name: ci\n      pem: |\n${pem.replace(/^/gm, "        ")}\nrules:\n  - name: any\n`,
    );
    expect(await banner()).toContain("policies for POST /v1/verify: release\n");
  });
});
