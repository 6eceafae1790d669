import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli, scratch } from "../../src/test-support.js";

// Issue 11 §3 (verification that cannot pass by accident) and issue 12 §2
// (no password from an image argument is ever echoed).
let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await scratch());
  await writeFile(join(dir, "app.tgz"), "the artifact");
  await writeFile(join(dir, "other.tgz"), "another artifact");
  await writeFile(join(dir, "third.tgz"), "a third artifact");
  expect((await cli(["keys", "generate", "--out", "signing"])).code).toBe(0);
  expect((await cli(["attest", "app.tgz", "--key", "signing.key", "--platform", "local"])).code).toBe(0);
});
afterEach(() => cleanup());

const cli = (args: string[]) => runCli(args, { cwd: dir });
const base = ["verify", "app.tgz", "-b", "provenance.sigstore.json", "-k", "signing.pub"];

describe("an identity is required", () => {
  it("refuses verify without --source-uri, --builder-id or --allow-any-source, as a usage error", async () => {
    const result = await cli(base);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^provenant: error \[USAGE\]: no identity required: give --source-uri .*--allow-any-source/);
    // verify --image too, before any registry is asked.
    const image = await cli(["verify", "--image", "127.0.0.1:1/acme/app:1", "-k", "signing.pub"]);
    expect(image.code).toBe(2);
    expect(image.stderr).toMatch(/no identity required/);
  });

  it("verifies with --allow-any-source and says so in the report, text and --json", async () => {
    const text = await cli([...base, "--allow-any-source"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^NOTE {2}no source repository or builder id was required.*--allow-any-source\)$/m);
    const json = JSON.parse((await cli([...base, "--allow-any-source", "--json"])).stdout);
    expect(json.verified).toBe(true);
    expect(json.notes.join("\n")).toMatch(/--allow-any-source/);
  });

  it("accepts --builder-id alone as an identity", async () => {
    const result = await cli([...base, "--builder-id", "no-such-builder"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/FAIL {2}builder id/);
  });
});

describe("pins", () => {
  it("--predicate-type, --source-commit, --build-input and --deny-self-hosted each fail a local build's provenance", async () => {
    const pins: [string[], RegExp][] = [
      [["--predicate-type", "https://example.com/other/v1"], /FAIL {2}predicate type .*expected https:\/\/example.com\/other\/v1 \[POLICY_DENIED\]/],
      [["--source-commit", "f".repeat(40)], /FAIL {2}source commit/],
      [["--build-input", "environment=prod"], /FAIL {2}build inputs +build input environment is not recorded/],
      [["--deny-self-hosted"], /FAIL {2}hosted runner .*GitHub and GitLab provenance/],
    ];
    for (const [flags, expected] of pins) {
      const result = await cli([...base, "--allow-any-source", ...flags]);
      expect(result.code, flags.join(" ")).toBe(1);
      expect(result.stdout).toMatch(expected);
    }
    expect((await cli([...base, "--allow-any-source", "--predicate-type", "https://slsa.dev/provenance/v1"])).code).toBe(0);
  });

  it("refuses --build-input without NAME=VALUE and a short --source-commit as usage errors", async () => {
    expect((await cli([...base, "--allow-any-source", "--build-input", "novalue"])).stderr).toMatch(/USAGE.*--build-input novalue: expected NAME=VALUE/);
    const short = await cli([...base, "--allow-any-source", "--source-commit", "abc123"]);
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/INVALID_POLICY/);
  });
});

describe("a subject mismatch names each artifact", () => {
  it("one line per artifact by the path given, in text and --json", async () => {
    const args = ["verify", "--allow-any-source", "app.tgz", "other.tgz", "third.tgz", "-b", "provenance.sigstore.json", "-k", "signing.pub"];
    const text = await cli(args);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/FAIL {2}subject digest +2 of 3 artifacts are not among the statement's 1 subject\(s\) \[SUBJECT_MISMATCH\]/);
    expect(text.stdout).toMatch(/^ +not a subject: other\.tgz sha256:[0-9a-f]{64}$/m);
    expect(text.stdout).toMatch(/^ +not a subject: third\.tgz sha256:[0-9a-f]{64}$/m);
    const json = JSON.parse((await cli([...args, "--json"])).stdout);
    const subject = json.checks.find((c: { id: string }) => c.id === "subject");
    expect(subject.artifacts.map((a: { name: string }) => a.name)).toEqual(["other.tgz", "third.tgz"]);

    const one = await cli(["verify", "--allow-any-source", "other.tgz", "-b", "provenance.sigstore.json", "-k", "signing.pub"]);
    expect(one.stdout).toMatch(/FAIL {2}subject digest +other\.tgz \(sha256:[0-9a-f]{64}\) is not among/);
  });
});

describe("registry passwords in image arguments", () => {
  it("are never echoed, in usage errors or registry errors", async () => {
    const runs = [
      await cli(["push", "oci://u:PASSWORD1@127.0.0.1:1/Acme/App:1", "-b", "provenance.sigstore.json"]),
      await cli(["attestations", "list", "oci://u:PASSWORD1@127.0.0.1:1/acme/app:1"]),
      await cli(["verify", "--image", "oci://u:PASSWORD1@127.0.0.1:1/acme/app:1", "-k", "signing.pub", "--allow-any-source"]),
      await cli(["attest", "oci://u:PASSWORD1@127.0.0.1:1/acme/app:1", "--key", "signing.key", "--platform", "local"]),
      await cli(["verify", "--image", "oci://u:PASSWORD1@127.0.0.1:1/acme/app:1", "--nope"]),
    ];
    for (const run of runs) {
      expect(run.code).not.toBe(0);
      expect(run.stdout + run.stderr).not.toContain("PASSWORD1");
      expect(run.stderr).toMatch(/^provenant: error/);
    }
  });
});
