import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { attest, generateKeyPair, keySigner, privateKeyFromPem, signEnvelope } from "@provenant/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli, scratch } from "../../src/test-support.js";
import { expectInert, HOSTILE } from "./support.js";

// Attack corpus, issue 12 §1: every path that prints text from a file, a
// name, a bundle or a parser goes through one escaping layer, in text and JSON.
let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await scratch());
});
afterEach(() => cleanup());

const cli = (args: string[]) => runCli(args, { cwd: dir });
const signer = () => keySigner(privateKeyFromPem(generateKeyPair("ecdsa-p256").privateKeyPem));
const statementWith = (subject: unknown) =>
  Buffer.from(JSON.stringify({ _type: "https://in-toto.io/Statement/v1", subject, predicateType: "https://example.com/p/v1", predicate: {} }));

describe.each(Object.entries(HOSTILE))("hostile text (%s)", (_name, hostile) => {
  it("inspect: a publicKey.hint in an error message", async () => {
    const envelope = await signEnvelope(statementWith([{ name: "a", digest: { sha256: "a".repeat(64) } }]), [signer()]);
    const bundle = {
      mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
      verificationMaterial: { publicKey: { hint: `${hostile}::error::hint` } },
      dsseEnvelope: envelope,
    };
    await writeFile(join(dir, "b.json"), JSON.stringify(bundle));
    const result = await cli(["inspect", "b.json"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/MALFORMED_BUNDLE/);
    expectInert(result.stderr);
    expectInert(result.stdout);
  });

  it("inspect: a schema error path holding a hostile digest key", async () => {
    const envelope = await signEnvelope(statementWith([{ name: "a", digest: { [hostile]: "zz" } }]), [signer()]);
    await writeFile(join(dir, "e.json"), JSON.stringify(envelope));
    const result = await cli(["inspect", "e.json"]);
    expect(result.code).toBe(2);
    expectInert(result.stderr);
  });

  it("inspect: subject names and payload values, text and --json", async () => {
    const envelope = await signEnvelope(statementWith([{ name: hostile, digest: { sha256: "a".repeat(64) } }]), [signer()]);
    await writeFile(join(dir, "e.json"), JSON.stringify(envelope));
    const text = await cli(["inspect", "e.json"]);
    expect(text.code).toBe(0);
    expectInert(text.stdout);
    const json = await cli(["inspect", "e.json", "--json"]);
    expectInert(json.stdout);
    expect(JSON.parse(json.stdout).statement.subject[0].name).toBe(hostile);
  });

  it("verify --bundle: invalid JSON never quotes its raw bytes", async () => {
    await writeFile(join(dir, "bad.json"), `{"a": ${hostile}`);
    for (const extra of [[], ["--json"]]) {
      const result = await cli(["verify", "--allow-any-source", "--digest", `sha256:${"a".repeat(64)}`, "-b", "bad.json", "-k", "k.pub", ...extra]);
      expect(result.code).toBe(2);
      expectInert(result.stderr);
      expectInert(result.stdout);
    }
  });

  it("verify --json: report values from the document", async () => {
    const keys = generateKeyPair("ecdsa-p256");
    await writeFile(join(dir, "k.pub"), keys.publicKeyPem);
    const { bundle } = await attest(
      [{ name: hostile, digest: { sha256: "a".repeat(64) } }],
      {
        buildDefinition: { buildType: hostile, externalParameters: {}, resolvedDependencies: [{ uri: `git+https://h.example/${hostile}@refs/heads/main`, digest: { gitCommit: "0".repeat(40) } }] },
        runDetails: { builder: { id: `https://b.example/${hostile}` } },
      },
      keySigner(privateKeyFromPem(keys.privateKeyPem)),
    );
    await writeFile(join(dir, "b.json"), JSON.stringify(bundle));
    for (const extra of [[], ["--json"]]) {
      const result = await cli(["verify", "--digest", `sha256:${"b".repeat(64)}`, "-b", "b.json", "-k", "k.pub", "--source-uri", "h.example/*", ...extra]);
      expect(result.code).toBe(1);
      expectInert(result.stdout);
      expectInert(result.stderr);
    }
  });

  it("subjects: file names, text and --json", async () => {
    await mkdir(join(dir, "dist"));
    const name = hostile.replaceAll("\u0000", "").replaceAll("/", "_");
    await writeFile(join(dir, "dist", `${name}.bin`), "x");
    for (const extra of [[], ["--json"]]) {
      const result = await cli(["subjects", "dist", ...extra]);
      expect(result.code).toBe(0);
      expectInert(result.stdout);
      expectInert(result.stderr);
    }
    expect(JSON.parse((await cli(["subjects", "dist", "--json"])).stdout)[0].name).toBe(`dist/${name}.bin`);
  });

  it("subjects: the 'left out' warning for a dangling link", async () => {
    await mkdir(join(dir, "dist"));
    await writeFile(join(dir, "dist", "ok.bin"), "x");
    await symlink(join(dir, "nowhere"), join(dir, "dist", `${hostile.replaceAll("/", "_")}.so`));
    const result = await cli(["subjects", "dist"]);
    expect(result.stderr).toMatch(/left out/);
    expectInert(result.stderr);
    expectInert(result.stdout);
  });

  it("subjects --checksums: names from a checksums file", async () => {
    await writeFile(join(dir, "SHA256SUMS"), `${"a".repeat(64)}  ${hostile.replaceAll("\n", "").replaceAll("\r", "")}.tgz\n`);
    for (const extra of [[], ["--json"]]) {
      const result = await cli(["subjects", "--checksums", "SHA256SUMS", ...extra]);
      expectInert(result.stdout);
      expectInert(result.stderr);
    }
  });
});

describe("arguments and usage errors", () => {
  it("never echoes a hostile argument raw, in commander's usage errors or ours", async () => {
    for (const args of [["verify", `--${HOSTILE.githubCommand}`], ["keys", "generate", "--algorithm", HOSTILE.clearScreen], ["inspect", HOSTILE.azureCommand]]) {
      const result = await cli(args);
      expect(result.code).toBe(2);
      expectInert(result.stderr);
    }
  });
});

describe("a bundle file's content quoted in an error", () => {
  it("is escaped when read from a file named with hostile characters", async () => {
    const name = "b\u001b[2J.json";
    await writeFile(join(dir, name), "[1,2");
    const result = await cli(["inspect", name]);
    expect(result.code).toBe(2);
    expectInert(result.stderr);
    expect(await readFile(join(dir, name), "utf8")).toBe("[1,2");
  });
});
