import { execFileSync } from "node:child_process";
import { mkdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { attest, BUILD_TYPES, FACTS_SOURCE_FIELD, generateKeyPair, keySigner, privateKeyFromPem, VARIABLE_DISAGREEMENTS_FIELD } from "@provenant/core";
import { commandPaths } from "./main.js";
import { runCli, scratch } from "./test-support.js";

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await scratch());
  await writeFile(join(dir, "app.tgz"), "the artifact");
});
afterEach(() => cleanup());

const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, { cwd: dir, env });

async function keyAndBundle(extra: string[] = []) {
  expect((await cli(["keys", "generate", "--out", "signing"])).code).toBe(0);
  const attest = await cli(["attest", "app.tgz", "--key", "signing.key", "--platform", "local", ...extra]);
  expect(attest.stderr).toContain("attested 1 subject");
  expect(attest.code).toBe(0);
}

describe("provenant keys generate", () => {
  it("writes a 0600 private key and prints only the key id", async () => {
    const result = await cli(["keys", "generate", "--out", "k", "--algorithm", "ed25519"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    expect((await stat(join(dir, "k.key"))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(dir, "k.pub"), "utf8")).toContain("BEGIN PUBLIC KEY");
    expect(result.stdout + result.stderr).not.toContain("PRIVATE KEY");
  });

  it("encrypts with the password from the named variable and refuses to overwrite", async () => {
    const env = { KEY_PASS: "hunter2-but-longer" };
    expect((await cli(["keys", "generate", "--out", "k", "--password-env", "KEY_PASS"], env)).code).toBe(0);
    expect(await readFile(join(dir, "k.key"), "utf8")).toContain("ENCRYPTED PRIVATE KEY");
    const again = await cli(["keys", "generate", "--out", "k"]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/exists.*--force/);
  });
});

describe("provenant attest and verify (local platform)", () => {
  it("attests, then verifies against the artifact and a policy", async () => {
    await keyAndBundle();
    const bundle = JSON.parse(await readFile(join(dir, "provenance.sigstore.json"), "utf8"));
    expect(bundle.mediaType).toBe("application/vnd.dev.sigstore.bundle.v0.3+json");
    const ok = await cli([
      "verify", "--allow-any-source", "app.tgz", "--bundle", "provenance.sigstore.json", "--key", "signing.pub",
      "--build-type", "https://provenant.dev/buildtypes/local/v1",
    ]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^PASS {2}signature/m);
    expect(ok.stdout).toMatch(/SLSA Build L1: local build/);
    expect(ok.stdout).toMatch(/^VERIFIED$/m);
  });

  it("exits 1 with the failing check when the artifact changed", async () => {
    await keyAndBundle();
    await writeFile(join(dir, "app.tgz"), "tampered");
    const result = await cli(["verify", "--allow-any-source", "app.tgz", "-b", "provenance.sigstore.json", "-k", "signing.pub"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^FAIL {2}subject digest .*\[SUBJECT_MISMATCH\]$/m);
  });

  it("fails verify of a directory holding a link out of it or a FIFO, which attest only warns about", async () => {
    await mkdir(join(dir, "dist"));
    await writeFile(join(dir, "dist/app.tgz"), "the artifact");
    await writeFile(join(dir, "evil.so"), "not attested");
    expect((await cli(["keys", "generate", "--out", "signing"])).code).toBe(0);
    expect((await cli(["attest", "dist", "--key", "signing.key", "--platform", "local"])).code).toBe(0);
    const clean = await cli(["verify", "--allow-any-source", "dist", "-b", "provenance.sigstore.json", "-k", "signing.pub"]);
    expect(clean.code).toBe(0);
    // A deploy that follows links (cp -L, tar -h) would ship evil.so.
    await symlink(join(dir, "evil.so"), join(dir, "dist/plugin.so"));
    const linked = await cli(["verify", "--allow-any-source", "dist", "-b", "provenance.sigstore.json", "-k", "signing.pub"]);
    expect(linked.code).toBe(1);
    expect(linked.stderr).toMatch(/^provenant: error \[UNVERIFIABLE_ARTIFACT\]: .*dist\/plugin\.so -> .*evil\.so \(outside /);
    await rm(join(dir, "dist/plugin.so"));
    execFileSync("mkfifo", [join(dir, "dist/pipe")]);
    const fifo = await cli(["verify", "--allow-any-source", "dist", "-b", "provenance.sigstore.json", "-k", "signing.pub"]);
    expect(fifo.code).toBe(1);
    expect(fifo.stderr).toContain("dist/pipe (not a regular file)");
    const attested = await cli(["attest", "dist", "--key", "signing.key", "--platform", "local", "--force"]);
    expect(attested.code).toBe(0);
    expect(attested.stderr).toMatch(/provenant: warning: left out .*dist\/pipe \(not a regular file\)/);
  });

  it("exits 2, still with its report, for JSON that is not a bundle or envelope", async () => {
    await keyAndBundle();
    await writeFile(join(dir, "not-a-bundle.json"), JSON.stringify({ hello: "world" }));
    const result = await cli(["verify", "--allow-any-source", "app.tgz", "-b", "not-a-bundle.json", "-k", "signing.pub"]);
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/^FAIL {2}bundle .*\[MALFORMED_BUNDLE\]$/m);
  });

  it("exits 1 when the policy is not met, and prints JSON with --json", async () => {
    await keyAndBundle();
    const result = await cli([
      "verify", "--allow-any-source", "app.tgz", "-b", "provenance.sigstore.json", "-k", "signing.pub", "--slsa-level", "2", "--json",
    ]);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report.verified).toBe(false);
    expect(report.checks.find((c: { id: string }) => c.id === "slsaLevel")).toMatchObject({ status: "fail", code: "POLICY_DENIED" });
  });

  it("writes and verifies an .intoto.jsonl collection", async () => {
    await keyAndBundle(["--intoto-jsonl", "attestations.intoto.jsonl"]);
    await cli(["attest", "app.tgz", "--key", "signing.key", "--platform", "local", "--intoto-jsonl", "attestations.intoto.jsonl", "--force"]);
    const lines = (await readFile(join(dir, "attestations.intoto.jsonl"), "utf8")).trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0]!).payloadType).toBe("application/vnd.in-toto+json");
    const result = await cli(["verify", "--allow-any-source", "app.tgz", "-b", "attestations.intoto.jsonl", "-k", "signing.pub"]);
    expect(result.code).toBe(0);

    // inspect reads the collection and a bare envelope too, as text and as JSON.
    const collection = await cli(["inspect", "attestations.intoto.jsonl"]);
    expect(collection.code).toBe(0);
    expect(collection.stdout).toContain("envelope 1 of 2");
    expect(collection.stdout).toContain("kind            DSSE envelope");
    await writeFile(join(dir, "one.dsse.json"), lines[0]!);
    const json = await cli(["inspect", "one.dsse.json", "--json"]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      kind: "envelope",
      statement: { subject: [{ name: "app.tgz" }] },
      provenance: { buildDefinition: { buildType: "https://provenant.dev/buildtypes/local/v1" } },
    });
  });

  it("attests subjects from a sha256sum file and applies --source-tag to a tagged checkout", async () => {
    const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, encoding: "utf8" });
    git("init", "-q", "-b", "main");
    git("-c", "user.email=d@example.com", "-c", "user.name=D", "commit", "-q", "--allow-empty", "-m", "release");
    git("remote", "add", "origin", "https://git.example.com/acme/app.git");
    git("tag", "v1.4.0");
    git("checkout", "-q", "--detach", "v1.4.0");
    const digest = execFileSync("sha256sum", ["app.tgz"], { cwd: dir, encoding: "utf8" }).split(" ")[0]!;
    await writeFile(join(dir, "SHA256SUMS"), `${digest}  dist/app-1.4.0.tgz\n`);
    expect((await cli(["keys", "generate", "--out", "signing"])).code).toBe(0);
    expect((await cli(["attest", "--checksums", "SHA256SUMS", "--key", "signing.key", "--platform", "local"])).code).toBe(0);
    const args = ["verify", "--allow-any-source", "--digest", `sha256:${digest}`, "-b", "provenance.sigstore.json", "-k", "signing.pub"];
    const tagged = await cli([...args, "--source-tag", "v1.*"]);
    expect(tagged.code).toBe(0);
    expect(tagged.stdout).toMatch(/^PASS {2}source tag +built from tag v1\.4\.0$/m);
    const other = await cli([...args, "--source-tag", "v2.*"]);
    expect(other.code).toBe(1);
    expect(other.stdout).toMatch(/^FAIL {2}source tag .*\[POLICY_DENIED\]$/m);
  });

  it("takes the key from PROVENANT_SIGNING_KEY with its password, and says when the password is wrong", async () => {
    await cli(["keys", "generate", "--out", "enc", "--password-env", "P"], { P: "s3cret-pass-phrase" });
    const pem = await readFile(join(dir, "enc.key"), "utf8");
    const ok = await cli(["attest", "app.tgz", "--platform", "local"], { PROVENANT_SIGNING_KEY: pem, PROVENANT_KEY_PASSWORD: "s3cret-pass-phrase" });
    expect(ok.code).toBe(0);
    const wrong = await cli(["attest", "app.tgz", "--platform", "local"], { PROVENANT_SIGNING_KEY: pem, PROVENANT_KEY_PASSWORD: "nope" });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("[KEY_PASSWORD_WRONG]");
    expect(wrong.stderr).not.toContain("s3cret");
    // No password anywhere and no terminal to ask on: its own code, exit 2.
    const missing = await cli(["attest", "app.tgz", "--platform", "local"], { PROVENANT_SIGNING_KEY: pem });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("[KEY_PASSWORD_MISSING]");
  }, 60_000);

  it("keys generate --out DIR/NAME makes DIR private to its owner, and --password without a terminal names the variable", async () => {
    const made = await cli(["keys", "generate", "--out", "new/dir/release"]);
    expect(made.code).toBe(0);
    expect((await stat(join(dir, "new/dir"))).mode & 0o777).toBe(0o700);
    const noTerminal = await cli(["keys", "generate", "--out", "enc2", "--password"]);
    expect(noTerminal.code).toBe(2);
    expect(noTerminal.stderr).toContain("[KEY_PASSWORD_MISSING]");
    expect(noTerminal.stderr).toContain("PROVENANT_KEY_PASSWORD");
    const short = await cli(["keys", "generate", "--out", "enc3", "--password-env", "P"], { P: "short" });
    expect(short.code).toBe(2);
    expect(short.stderr).toContain("[KEY_PASSWORD_TOO_SHORT]");
  });

  it("gives each kind of bad input its own code and exit 2", async () => {
    await keyAndBundle();
    await writeFile(join(dir, "broken.json"), "{ not json");
    const cases: [string[], string][] = [
      [["attest", "dist/*.tgz", "--key", "signing.key", "--platform", "local", "--force"], "NO_SUBJECTS_MATCHED"],
      [["attest", "app.tgz", "--key", "missing.key", "--platform", "local", "--force"], "KEY_UNREADABLE"],
      [["attest", "app.tgz", "--key", "signing.pub", "--platform", "local", "--force"], "KEY_UNREADABLE"],
      [["attest", "--key", "signing.key", "--platform", "local", "--force"], "EMPTY_SUBJECTS"],
      [["verify", "--allow-any-source", "app.tgz", "-b", "broken.json", "-k", "signing.pub"], "MALFORMED_JSON"],
      [["verify", "--allow-any-source", "app.tgz", "-b", "missing.json", "-k", "signing.pub"], "IO_ERROR"],
      [["verify", "--allow-any-source", "-b", "provenance.sigstore.json", "-k", "signing.pub"], "USAGE"],
      [["verify", "--allow-any-source", "--digest", "sha256:XYZ", "-b", "provenance.sigstore.json", "-k", "signing.pub"], "INVALID_DIGEST"],
      [["verify", "--allow-any-source", "app.tgz", "-b", "provenance.sigstore.json", "-k", "signing.pub", "--source-versioned-tag", "banana"], "INVALID_POLICY"],
      [["verify", "--allow-any-source", "app.tgz", "-b", "provenance.sigstore.json", "-k", "signing.pub", "--threshold", "abc"], "USAGE"],
      [["verify", "--allow-any-source", "app.tgz", "-b", "provenance.sigstore.json", "-k", "signing.pub", "--slsa-level", "-1"], "USAGE"],
      [["inspect", "signing.json"], "MALFORMED_BUNDLE"],
    ];
    await writeFile(join(dir, "signing.json"), JSON.stringify({ hello: "not a bundle" }));
    for (const [args, code] of cases) {
      const result = await cli(args);
      expect({ args, code: result.code, stderr: result.stderr }).toMatchObject({ code: 2, stderr: expect.stringContaining(`[${code}]`) });
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
    }
  });

  it("exits 2 for unknown commands and options, 0 for --help", async () => {
    for (const args of [["frobnicate"], ["verify", "--nope"], ["keys", "generate", "--algorithm", "dsa"]]) {
      const result = await cli(args);
      expect(result.code).toBe(2);
      // One line, in the same form as every other error.
      expect(result.stderr).toMatch(/^provenant: error \[USAGE\]: .+; run with --help for usage\n$/);
    }
    const commands = [[], ["keys"], ["keys", "generate"], ["subjects"], ["attest"], ["verify"], ["inspect"], ["push"], ["attestations"], ["attestations", "list"]];
    for (const command of commands) {
      const help = await cli([...command, "--help"]);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain("Usage: provenant");
    }
  });

  it("ends every --help with examples, and verify --help puts bundle, key and policy first, registry last, marking what is required", async () => {
    for (const path of commandPaths()) {
      const words = path === "provenant" ? [] : path.split(" ");
      const help = await cli([...words, "--help"]);
      expect(help.code, path).toBe(0);
      expect(help.stdout, path).toMatch(/\nExamples:\n( {2}\$ provenant .+\n){1,3}\s*$/);
    }
    const verify = (await cli(["verify", "--help"])).stdout;
    const at = (flag: string) => verify.indexOf(flag);
    expect(at("--bundle")).toBeLessThan(at("--key"));
    expect(at("--key")).toBeLessThan(at("--policy"));
    expect(at("--policy")).toBeLessThan(at("--image <image>"));
    expect(at("--image <image>")).toBeLessThan(at("--insecure-registry"));
    // Help text wraps: compare with the wrapping undone.
    expect(verify.replace(/\s+/g, " ")).toMatch(/--bundle <file> [^-]*\(required, unless --image\)/);
  });

  it("keeps errors on one line, and under --json also prints them as a JSON object", async () => {
    const typo = await cli(["verify", "--sorce-uri", "x"]);
    expect(typo.code).toBe(2);
    expect(typo.stderr.trim().split("\n")).toHaveLength(1);
    expect(typo.stderr).toMatch(/unknown option '--sorce-uri' \(Did you mean --source-uri\?\)/);
    const level = await cli(["verify", "app.tgz", "--bundle", "b.json", "--key", "k.pub", "--source-uri", "a.example/b", "--slsa-level", "5", "--json"]);
    expect(level.code).toBe(2);
    expect(level.stderr).toContain("[USAGE]: --slsa-level 5: expected 0 to 3");
    expect(JSON.parse(level.stdout)).toEqual({ error: { code: "USAGE", message: "--slsa-level 5: expected 0 to 3" } });
    const threshold = await cli(["verify", "app.tgz", "--bundle", "b.json", "--key", "k.pub", "--source-uri", "a.example/b", "--threshold", "2"]);
    expect(threshold.code).toBe(2);
    expect(threshold.stderr).toContain("--threshold 2: only 1 key(s) given");
  });

  it("attest keeps an existing bundle unless --force, except the default path in CI", async () => {
    await keyAndBundle();
    const again = await cli(["attest", "app.tgz", "--key", "signing.key", "--platform", "local"]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("provenance.sigstore.json exists; pass --force");
    expect((await cli(["attest", "app.tgz", "--key", "signing.key", "--platform", "local"], { CI: "true" })).code).toBe(0);
    expect((await cli(["attest", "app.tgz", "--key", "signing.key", "--platform", "local", "--force"])).code).toBe(0);
  });

  it("detects GitHub Actions and names the fact it lacks", async () => {
    await cli(["keys", "generate", "--out", "signing"]);
    const result = await cli(["attest", "app.tgz", "--key", "signing.key"], { GITHUB_ACTIONS: "true" });
    // Detected from GITHUB_ACTIONS, the GitHub adapter asks for the facts it lacks: bad input, exit 2.
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/\[PLATFORM_FACTS_MISSING\]: GITHUB_REF is missing/);
  });
});

describe("provenant inspect and subjects", () => {
  it("shows the statement without verifying", async () => {
    await keyAndBundle();
    const result = await cli(["inspect", "provenance.sigstore.json"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("https://provenant.dev/buildtypes/local/v1");
    expect(result.stdout).toContain("app.tgz");
    expect(result.stdout).toContain("NOT verified");
  });

  it("shows where the facts came from and which CI variables the token overruled", async () => {
    const commit = "a".repeat(40);
    const { bundle } = await attest(
      [{ name: "app.tgz", digest: { sha256: "b".repeat(64) } }],
      {
        buildDefinition: {
          buildType: BUILD_TYPES.gitlab,
          externalParameters: { project: "acme/app" },
          resolvedDependencies: [{ uri: "git+https://gitlab.example.com/acme/app@refs/heads/main", digest: { gitCommit: commit } }],
        },
        runDetails: {
          builder: { id: "https://gitlab.example.com/-/runners/self-hosted" },
          metadata: {
            [FACTS_SOURCE_FIELD]: "oidc-token",
            [VARIABLE_DISAGREEMENTS_FIELD]: [{ variable: "CI_COMMIT_SHA", claim: "sha", variableValue: "f".repeat(40), claimValue: commit }],
          },
        },
      },
      keySigner(privateKeyFromPem(generateKeyPair("ecdsa-p256").privateKeyPem)),
    );
    await writeFile(join(dir, "gitlab.sigstore.json"), JSON.stringify(bundle));
    const result = await cli(["inspect", "gitlab.sigstore.json"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("facts from      oidc-token\n");
    expect(result.stdout).toContain(`overruled       CI_COMMIT_SHA=${"f".repeat(40)} contradicted the token's sha=${commit}; the token's value was recorded\n`);
  });

  it("never lets a document's text forge report lines or CI commands", async () => {
    await keyAndBundle();
    const bundle = JSON.parse(await readFile(join(dir, "provenance.sigstore.json"), "utf8"));
    bundle.dsseEnvelope.payloadType = "x\nPASS  signature          signed by trusted key\nVERIFIED\n::error::pwned";
    await writeFile(join(dir, "forged.json"), JSON.stringify(bundle));
    const verified = await cli(["verify", "--allow-any-source", "app.tgz", "-b", "forged.json", "-k", "signing.pub"]);
    expect(verified.code).toBe(1);
    expect(verified.stdout).not.toMatch(/^VERIFIED$/m);
    expect(verified.stdout).not.toMatch(/^::error::/m);
    expect(verified.stdout).toContain("\\u000aVERIFIED\\u000a::error::pwned");
    // inspect shows unverified text: a subject name cannot start a line of its own.
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, "base64").toString("utf8"));
    statement.subject[0].name = "app.tgz\n::error::pwned";
    bundle.dsseEnvelope.payloadType = "application/vnd.in-toto+json";
    bundle.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString("base64");
    await writeFile(join(dir, "renamed.json"), JSON.stringify(bundle));
    const inspected = await cli(["inspect", "renamed.json"]);
    expect(inspected.code).toBe(0);
    expect(inspected.stdout).toContain("app.tgz\\u000a::error::pwned");
    expect(inspected.stdout).not.toMatch(/^::error::/m);
  });

  it("lists subjects as sha256sum-like text or JSON", async () => {
    const text = await cli(["subjects", "app.tgz"]);
    const expected = execFileSync("sha256sum", ["app.tgz"], { cwd: dir, encoding: "utf8" }).split(" ")[0];
    expect(text.stdout).toBe(`sha256:${expected}  app.tgz\n`);
    const json = await cli(["subjects", "app.tgz", "--json"]);
    expect(JSON.parse(json.stdout)).toEqual([{ name: "app.tgz", digest: { sha256: expected } }]);
  });

  it("names a subject the same from a subdirectory, by path, glob, directory and checksums, relative to the repository root", async () => {
    execFileSync("git", ["init", "-q"], { cwd: dir });
    await mkdir(join(dir, "dist/build"), { recursive: true });
    await writeFile(join(dir, "dist/app-1.tgz"), "release");
    const digest = execFileSync("sha256sum", ["app-1.tgz"], { cwd: join(dir, "dist"), encoding: "utf8" }).split(" ")[0]!;
    await writeFile(join(dir, "dist/SHA256SUMS"), `${digest}  app-1.tgz\n`);
    const sub = (args: string[]) => runCli(args, { cwd: join(dir, "dist/build") });
    expect((await cli(["keys", "generate", "--out", "signing"])).code).toBe(0);
    const attested = await sub(["attest", "../app-1.tgz", "--key", "../../signing.key", "--platform", "local", "-b", "app.sigstore.json"]);
    expect(attested.code).toBe(0);
    const bundle = JSON.parse(await readFile(join(dir, "dist/build/app.sigstore.json"), "utf8"));
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, "base64").toString("utf8"));
    expect(statement.subject).toEqual([{ name: "dist/app-1.tgz", digest: { sha256: digest } }]);
    for (const args of [["../app-1.tgz"], ["../*.tgz"], [".."], ["--checksums", "../SHA256SUMS"], [join(dir, "dist/app-1.tgz")]]) {
      const listed = await sub(["subjects", ...args, "--json"]);
      expect(JSON.parse(listed.stdout).filter((s: { digest: { sha256: string } }) => s.digest.sha256 === digest)).toEqual([
        { name: "dist/app-1.tgz", digest: { sha256: digest } },
      ]);
    }
    // --subject-root moves the base; a file above it has no name and is refused (exit 2).
    expect((await sub(["subjects", "../app-1.tgz", "--subject-root", ".."])).stdout).toBe(`sha256:${digest}  app-1.tgz\n`);
    const outside = await sub(["subjects", "../app-1.tgz", "--subject-root", "."]);
    expect(outside.code).toBe(2);
    expect(outside.stderr).toContain("SUBJECT_OUTSIDE_ROOT");
  });

  it("colours only on a terminal without NO_COLOR", async () => {
    await keyAndBundle();
    const args = ["verify", "--allow-any-source", "app.tgz", "-b", "provenance.sigstore.json", "-k", "signing.pub"];
    const tty = await runCli(args, { cwd: dir, isTTY: true, stdoutIsTTY: true });
    expect(tty.stdout).toContain("\u001b[32m");
    const noColor = await runCli(args, { cwd: dir, isTTY: true, stdoutIsTTY: true, env: { NO_COLOR: "1" } });
    expect(noColor.stdout).not.toContain("\u001b[");
    // `provenant verify ... > report.txt` from a terminal: stderr is a terminal, stdout is a file.
    const redirected = await runCli(args, { cwd: dir, isTTY: true, stdoutIsTTY: false });
    expect(redirected.stdout).toContain("VERIFIED");
    expect(redirected.stdout).not.toContain("\u001b[");
  });
});
