import { execFileSync, spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli, scratch } from "../../src/test-support.js";

// Attack corpus, issue 12 §4: resource caps and crashes.
let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await scratch());
  await writeFile(join(dir, "app.tgz"), "the artifact");
  expect((await cli(["keys", "generate", "--out", "signing"])).code).toBe(0);
  expect((await cli(["attest", "app.tgz", "--key", "signing.key", "--platform", "local"])).code).toBe(0);
});
afterEach(() => cleanup());

const cli = (args: string[]) => runCli(args, { cwd: dir });
const verifyArgs = ["verify", "--allow-any-source", "app.tgz", "-k", "signing.pub"];

describe("JSON nesting", () => {
  it("refuses a 200,000-deep array with JSON_TOO_DEEP and exit 2, in inspect and verify, text and --json", async () => {
    await writeFile(join(dir, "deep.json"), `${"[".repeat(200_000)}${"]".repeat(200_000)}`);
    for (const args of [["inspect", "deep.json"], ["inspect", "deep.json", "--json"], [...verifyArgs, "-b", "deep.json"], [...verifyArgs, "-b", "deep.json", "--json"]]) {
      const result = await cli(args);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr).toMatch(/^provenant: error \[JSON_TOO_DEEP\]: .* more than 64 deep/);
    }
  });

  it("refuses a deep payload inside a well-formed envelope", async () => {
    const bundle = JSON.parse(execFileSync("cat", [join(dir, "provenance.sigstore.json")], { encoding: "utf8" }));
    bundle.dsseEnvelope.payload = Buffer.from(`${"[".repeat(100_000)}${"]".repeat(100_000)}`).toString("base64");
    await writeFile(join(dir, "deep-payload.json"), JSON.stringify(bundle));
    const inspected = await cli(["inspect", "deep-payload.json", "--json"]);
    expect(inspected.code).toBe(2);
    expect(inspected.stderr).toMatch(/JSON_TOO_DEEP/);
  });
});

describe("signature and envelope counts", () => {
  it("refuses an envelope with more signatures than the cap, without trying them", async () => {
    const bundle = JSON.parse(execFileSync("cat", [join(dir, "provenance.sigstore.json")], { encoding: "utf8" }));
    const envelope = bundle.dsseEnvelope;
    envelope.signatures = Array.from({ length: 200_000 }, () => ({ sig: envelope.signatures[0].sig }));
    await writeFile(join(dir, "many.json"), JSON.stringify(envelope));
    const result = await cli([...verifyArgs, "-b", "many.json"]);
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/FAIL {2}bundle .*at most 16 signatures.*\[MALFORMED_ENVELOPE\]/);
  });

  it("refuses a collection with more envelopes than the cap", async () => {
    const line = JSON.stringify(JSON.parse(execFileSync("cat", [join(dir, "provenance.sigstore.json")], { encoding: "utf8" })).dsseEnvelope);
    await writeFile(join(dir, "big.intoto.jsonl"), `${Array.from({ length: 1001 }, () => line).join("\n")}\n`);
    const result = await cli([...verifyArgs, "-b", "big.intoto.jsonl"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/INPUT_TOO_LARGE.*at most 1000 envelopes/);
  });
});

describe("what --bundle may name", () => {
  it("refuses a device such as /dev/zero before reading it", async () => {
    const result = await cli([...verifyArgs, "-b", "/dev/zero"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^provenant: error \[IO_ERROR\]: cannot read bundle \/dev\/zero: it is a device; expected a regular file or a pipe\n$/);
  });

  it("refuses a directory", async () => {
    const result = await cli(["inspect", "."]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/IO_ERROR.*directory/);
  });

  it("caps the bytes read, configurable with --max-bundle-bytes", async () => {
    const size = Number(execFileSync("stat", ["-c", "%s", join(dir, "provenance.sigstore.json")], { encoding: "utf8" }));
    const small = await cli([...verifyArgs, "-b", "provenance.sigstore.json", "--max-bundle-bytes", String(size - 1)]);
    expect(small.code).toBe(2);
    expect(small.stderr).toMatch(/INPUT_TOO_LARGE.*larger than \d+ bytes.*--max-bundle-bytes/);
    expect((await cli([...verifyArgs, "-b", "provenance.sigstore.json", "--max-bundle-bytes", String(size)])).code).toBe(0);
  });

  it("reads a FIFO (how <(cmd) arrives)", async () => {
    const fifo = join(dir, "bundle.fifo");
    execFileSync("mkfifo", [fifo]);
    const writer = spawn("sh", ["-c", `cat provenance.sigstore.json > ${fifo}`], { cwd: dir, stdio: "ignore" });
    const written = new Promise((resolve) => writer.on("close", resolve));
    const result = await cli([...verifyArgs, "-b", fifo]);
    await written;
    expect(result.stdout).toMatch(/^VERIFIED$/m);
    expect(result.code).toBe(0);
  });

  it("stops reading an endless pipe at the cap", async () => {
    const fifo = join(dir, "endless.fifo");
    execFileSync("mkfifo", [fifo]);
    const endless = spawn("sh", ["-c", `cat /dev/zero > ${fifo}`], { cwd: dir, stdio: "ignore" });
    const stopped = new Promise((resolve) => endless.on("close", resolve));
    const capped = await cli([...verifyArgs, "-b", fifo, "--max-bundle-bytes", "1048576"]);
    endless.kill();
    await stopped;
    expect(capped.code).toBe(2);
    expect(capped.stderr).toMatch(/INPUT_TOO_LARGE/);
  });
});
