import { execFile } from "node:child_process";
import { cp, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { opaBinary } from "@provenant/policy/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli, scratch } from "../test-support.js";

// The example policy repository (examples/policies/release): a policy, its
// Rego module, two public keys, signed evidence and conftest-style cases.
const EXAMPLE = fileURLToPath(new URL("../../../../examples/policies/release", import.meta.url));
const SHA = "0d81165af9d2f74e4a463ef3061011678e41709008e6bee394760e3558321c3b";

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await scratch());
  await cp(EXAMPLE, dir, { recursive: true });
});
afterEach(() => cleanup());

const env = () => ({ PROVENANT_OPA: opaBinary(), XDG_CACHE_HOME: join(dir, ".cache") });
const cli = (args: string[], extra: Record<string, string> = {}) => runCli(args, { cwd: dir, env: { ...env(), ...extra } });
const evidence = (...names: string[]) => names.flatMap((n) => ["--evidence", `cases/evidence/${n}.sigstore.json`]);

describe("provenant policy", () => {
  it("schema prints the JSON Schema of policy files", async () => {
    const result = await cli(["policy", "schema"]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).properties.apiVersion).toBeDefined();
  });

  it("check loads keys, parses CEL and compiles Rego with the real opa", async () => {
    const result = await cli(["policy", "check", "policy.yaml"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("rule release tarballs: 2 evidence requirement(s), 1 CEL, 1 Rego");
  });

  it("check refuses Rego that does not compile and CEL that does not parse (exit 2, INVALID_POLICY)", async () => {
    await writeFile(join(dir, "rules/release.rego"), "package provenant.release\ndeny contains x if {\n");
    const rego = await cli(["policy", "check", "policy.yaml"]);
    expect(rego.code).toBe(2);
    expect(rego.stderr).toContain("[INVALID_POLICY]");
    expect(rego.stderr).toContain("Rego does not compile");
    const policy = await readFile(join(dir, "policy.yaml"), "utf8");
    await writeFile(join(dir, "broken-cel.yaml"), policy.replace('predicate.result == "PASSED"', 'predicate.result =='));
    const cel = await cli(["policy", "check", "broken-cel.yaml"]);
    expect(cel.code).toBe(2);
    expect(cel.stderr).toContain("CEL does not parse");
  });

  it("test runs every case of the example policy repository and they all hold", async () => {
    const result = await cli(["policy", "test", "policy.yaml", "--cases", "cases"]);
    expect(result.stdout).toContain("8 of 8 case(s) passed");
    expect(result.code).toBe(0);
  });

  it("the example's generate.mjs regenerates new keys and evidence (public keys only) and every case still holds", async () => {
    const before = await readFile(join(dir, "keys/release-service.pub"), "utf8");
    const { stdout } = await promisify(execFile)(process.execPath, [join(EXAMPLE, "generate.mjs"), dir]);
    expect(stdout).toContain("wrote cases/evidence/provenance-release.sigstore.json");
    const after = await readFile(join(dir, "keys/release-service.pub"), "utf8");
    expect(after).toContain("-----BEGIN PUBLIC KEY-----");
    expect(after).not.toBe(before);
    const written = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
    for (const file of written) expect(await readFile(join(file.parentPath, file.name), "utf8")).not.toContain("PRIVATE KEY");
    const result = await cli(["policy", "test", "policy.yaml", "--cases", "cases"]);
    expect(result.stdout).toContain("8 of 8 case(s) passed");
    expect(result.code).toBe(0);
  });

  it("test fails (exit 1) and says why when a case expects the wrong decision", async () => {
    const allowed = await readFile(join(dir, "cases/release-allowed.yaml"), "utf8");
    await writeFile(join(dir, "cases/release-allowed.yaml"), allowed.replace("expect: allow", "expect: deny"));
    const result = await cli(["policy", "test", "policy.yaml", "--cases", "cases"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/FAIL {2}cases\/release-allowed\.yaml: .*expected deny, got allow/);
  });
});

describe("provenant verify --policy", () => {
  it("denies an artifact given only by digest: it has no name, so the name-matched rule does not apply", async () => {
    const result = await cli([
      "verify", "--digest", `sha256:${SHA}`, "--policy", "policy.yaml",
      "--bundle", "cases/evidence/provenance-release.sigstore.json", ...evidence("tests-passed", "scan-clean"),
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("no rule of the policy applies");
  });

  it("verifies a named artifact file: allowed with clean evidence, denied (exit 1) with a critical finding", async () => {
    const named = ["dist/app-1.4.0.tgz"];
    await cp(join(dir, "app-1.4.0.tgz"), join(dir, named[0]!));
    const ok = await cli(["verify", ...named, "--policy", "policy.yaml", "--bundle", "cases/evidence/provenance-release.sigstore.json", ...evidence("tests-passed", "scan-clean")]);
    expect(ok.stderr).toBe("");
    expect(ok.stdout).toContain("PASS  rule release tarballs");
    expect(ok.stdout).toContain("ALLOWED");
    expect(ok.code).toBe(0);
    const bad = await cli(["verify", ...named, "--policy", "policy.yaml", "--bundle", "cases/evidence/provenance-release.sigstore.json", ...evidence("tests-passed", "scan-critical"), "--json"]);
    expect(bad.code).toBe(1);
    const json = JSON.parse(bad.stdout);
    expect(json.allowed).toBe(false);
    expect(json.artifacts[0].rules[0].reason).toContain("the scan found a critical vulnerability");
  });

  it("denies the example's negative provenance for its own reason: unprotected tag by CEL and Rego alike, user key, branch, fork", async () => {
    await cp(join(dir, "app-1.4.0.tgz"), join(dir, "dist/app-1.4.0.tgz"));
    const checks = async (provenance: string) => {
      const result = await cli([
        "verify", "dist/app-1.4.0.tgz", "--policy", "policy.yaml", "--bundle", `cases/evidence/provenance-${provenance}.sigstore.json`,
        ...evidence("tests-passed", "scan-clean"), "--json",
      ]);
      expect(result.code).toBe(1);
      const rule = JSON.parse(result.stdout).artifacts[0].rules[0];
      return { reason: rule.reason as string, failed: (rule.checks as { name: string; pass: boolean }[]).filter((c) => !c.pass).map((c) => c.name) };
    };
    const unprotected = await checks("unprotected-tag");
    expect(unprotected.failed).toEqual(["cel", "rego"]);
    expect(unprotected.reason).toContain("releases are built from a protected tag (GitLab ref_protected)");
    expect((await checks("user-key")).reason).toContain("no signature from a trusted key");
    expect((await checks("branch")).failed).toEqual(["sourceTag", "sourceVersionedTag"]);
    expect((await checks("fork")).failed).toEqual(["sourceUri"]);
  });

  it("starts each artifact's line with its own word, so a file named like a CI log command cannot forge one", async () => {
    await cp(join(dir, "app-1.4.0.tgz"), join(dir, "::error::forged.tgz"));
    const result = await cli(["verify", "::error::forged.tgz", "--policy", "policy.yaml", "--bundle", "cases/evidence/provenance-release.sigstore.json"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("artifact ::error::forged.tgz\n");
    expect(result.stdout.split("\n").filter((line) => line.startsWith("::") || line.startsWith("##"))).toEqual([]);
  });

  it("refuses --policy mixed with --key or rule flags (exit 2), every rule flag, none silently ignored", async () => {
    const result = await cli(["verify", "--digest", `sha256:${SHA}`, "--policy", "policy.yaml", "--bundle", "x", "--source-uri", "a/b"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("leave out --source-uri");
    const more = await cli([
      "verify", "--digest", `sha256:${SHA}`, "--policy", "policy.yaml", "--bundle", "x",
      "--deny-self-hosted", "--build-input", "a=b", "--source-commit", "f".repeat(40), "--predicate-type", "x", "--threshold", "2", "--allow-any-source",
    ]);
    expect(more.code).toBe(2);
    expect(more.stderr).toContain("leave out --source-commit, --predicate-type, --build-input, --deny-self-hosted, --allow-any-source, --threshold");
  });

  it("writes a signed VSA that a later gate accepts as evidence under its own policy", async () => {
    await cp(join(dir, "app-1.4.0.tgz"), join(dir, "dist/app-1.4.0.tgz"));
    expect((await cli(["keys", "generate", "--out", "gate"])).code).toBe(0);
    const first = await cli([
      "verify", "dist/app-1.4.0.tgz", "--policy", "policy.yaml", "--bundle", "cases/evidence/provenance-release.sigstore.json",
      ...evidence("tests-passed", "scan-clean"), "--vsa", "app.vsa.jsonl", "--vsa-key", "gate.key",
    ]);
    expect(first.code).toBe(0);
    const vsa = JSON.parse(Buffer.from(JSON.parse(await readFile(join(dir, "app.vsa.jsonl"), "utf8")).dsseEnvelope.payload, "base64").toString());
    expect(vsa.predicateType).toBe("https://slsa.dev/verification_summary/v1");
    expect(vsa.predicate.verificationResult).toBe("PASSED");
    expect(vsa.predicate.verifiedLevels).toEqual(["SLSA_BUILD_LEVEL_3"]);
    expect(vsa.predicate.policy.digest.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(vsa.subject[0].digest.sha256).toBe(SHA);

    const gatePub = await readFile(join(dir, "gate.pub"), "utf8");
    await writeFile(
      join(dir, "admission.yaml"),
      JSON.stringify({
        apiVersion: "provenant.dev/v1",
        trust: { keys: [{ name: "release-gate", pem: gatePub }] },
        rules: [
          {
            name: "verified in CI",
            evidence: [
              {
                predicateType: "https://slsa.dev/verification_summary/v1",
                cel: [{ expr: 'predicate.verificationResult == "PASSED" && "SLSA_BUILD_LEVEL_3" in predicate.verifiedLevels', message: "needs a passed L3 verification" }],
              },
            ],
          },
        ],
      }),
    );
    const admitted = await cli(["verify", "dist/app-1.4.0.tgz", "--policy", "admission.yaml", "--evidence", "app.vsa.jsonl"]);
    expect(admitted.stdout).toContain("ALLOWED");
    expect(admitted.code).toBe(0);
    const other = await cli(["verify", "app-1.4.0.tgz", "--policy", "admission.yaml", "--evidence", "cases/evidence/tests-passed.sigstore.json"]);
    expect(other.code).toBe(1);
  });
});
