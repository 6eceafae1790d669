import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { generateKeyPair, privateKeyFromPem } from "@provenant/core";
import { runCli, scratch, writeServiceBuiltBundle } from "./test-support.js";

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await scratch());
  await writeFile(join(dir, "app.tgz"), "the artifact");
});
afterEach(() => cleanup());

const cli = (args: string[]) => runCli(args, { cwd: dir });

describe("provenant verify --service-key", () => {
  it("reports L3 only when the key is given as a service key", async () => {
    const { privateKeyPem, publicKeyPem } = generateKeyPair("ecdsa-p256");
    await writeFile(join(dir, "service.pub"), publicKeyPem);
    await writeServiceBuiltBundle(dir, privateKeyFromPem(privateKeyPem));
    const common = ["verify", "app.tgz", "-b", "bundle.json", "--source-uri", "gitlab.example.com/acme/app", "--slsa-level", "3"];

    const asService = await cli([...common, "--service-key", "service.pub"]);
    expect(asService.stdout).toMatch(/SLSA Build L3/);
    expect(asService.code).toBe(0);

    const asUser = await cli([...common, "--key", "service.pub"]);
    expect(asUser.code).toBe(1);
    expect(asUser.stdout).toMatch(/SLSA Build L2.*signed by a user key, not a trusted service key/);
  });

  it("asks for a key when neither --key nor --service-key is given", async () => {
    const result = await cli(["verify", "app.tgz", "-b", "bundle.json", "--allow-any-source"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--service-key");
  });
});
