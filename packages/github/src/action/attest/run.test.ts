import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { generateKeyPair } from "@provenant/core";
import { startTestIssuer, type TestIssuer } from "@provenant/oidc/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtCli } from "../../test-support/tools.js";
import { provenantFailure } from "../../test-support/failure.js";
import { tokenJobContext } from "../../test-support/action-context.js";
import { pushTag } from "../../test-support/scenarios.js";
import type { ActionContext } from "../context.js";
import { type AttestActionInputs, attestInputsFrom } from "../inputs.js";
import { runAttestAction } from "./run.js";

const run = promisify(execFile);

let issuer: TestIssuer;
let workspace: string;
const keys = generateKeyPair("ecdsa-p256");
const encrypted = generateKeyPair("ed25519", "correct horse battery");

beforeAll(async () => {
  issuer = await startTestIssuer();
  workspace = await mkdtemp(join(tmpdir(), "provenant-attest-action-"));
  await mkdir(join(workspace, "dist"));
  await writeFile(join(workspace, "dist/app-linux-amd64"), "binary one");
  await writeFile(join(workspace, "dist/app-darwin-arm64"), "binary two");
  await writeFile(join(workspace, "provenant.pub"), keys.publicKeyPem);
});
afterAll(async () => {
  await issuer.close();
});

/** The job of a tag push granted `id-token: write`, its token served by the local issuer. */
const jobContext = (warnings: string[] = []): ActionContext => tokenJobContext(issuer, pushTag(), workspace, warnings);

/** Inputs as the runner hands them over: unset inputs are empty strings. */
function inputs(values: Record<string, string>): AttestActionInputs {
  return attestInputsFrom((name) => ({ "oidc-issuer": issuer.issuer, ...values })[name] ?? "");
}

describe("runAttestAction", () => {
  it("writes a bundle that `provenant verify` accepts at SLSA Build L2", async () => {
    const result = await runAttestAction(
      inputs({ "subject-path": "dist/*", "signing-key": keys.privateKeyPem, "bundle-path": "app.sigstore.json" }),
      jobContext(),
    );
    expect(result.subjects.map((s) => s.name).sort()).toEqual(["dist/app-darwin-arm64", "dist/app-linux-amd64"]);
    expect(result.factsSource).toBe("oidc-token");
    expect(result.bundlePath).toBe(join(workspace, "app.sigstore.json"));

    const { stdout } = await run(
      process.execPath,
      [builtCli(), "verify", "dist/app-linux-amd64", "--bundle", "app.sigstore.json", "--key", "provenant.pub",
        "--source-uri", "github.com/codertocat/*", "--source-tag", "simple-tag", "--slsa-level", "2",
        "--builder-id", "https://github.com/Codertocat/Hello-World/.github/workflows/release.yml", "--json"],
      { cwd: workspace },
    );
    const report = JSON.parse(stdout) as { verified: boolean; slsaLevel: { level: number } };
    expect(report.verified).toBe(true);
    expect(report.slsaLevel.level).toBe(2);
  });

  it("lists the subjects and a working verify command in the job summary", async () => {
    const result = await runAttestAction(inputs({ "subject-path": "dist/app-linux-amd64", "signing-key": keys.privateKeyPem }), jobContext());
    expect(result.summary).toContain("| dist/app-linux-amd64 | `sha256:");
    const command = result.summary.match(/^provenant verify .*$/m)?.[0];
    expect(command).toBeDefined();
    // The printed command is what a release manager runs; run it.
    const args = command!.split(" ").slice(1).map((a) => (a === "provenant.pub" ? join(workspace, "provenant.pub") : a));
    const { stdout } = await run(process.execPath, [builtCli(), ...args], { cwd: workspace });
    expect(stdout).toContain("VERIFIED");
  });

  it("attests more than 1,024 subjects (GitHub's own action refuses them)", async () => {
    const many = join(workspace, "many");
    await mkdir(many);
    await Promise.all(Array.from({ length: 1500 }, (_, i) => writeFile(join(many, `part-${i}.bin`), `part ${i}`)));
    const result = await runAttestAction(
      inputs({ "subject-path": "many", "signing-key": keys.privateKeyPem, "bundle-path": "many.sigstore.json" }),
      jobContext(),
    );
    expect(result.subjects).toHaveLength(1500);
    expect(result.summary).toContain("… and 1450 more");
    const bundle = JSON.parse(await readFile(result.bundlePath, "utf8")) as { dsseEnvelope: { payload: string } };
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, "base64").toString()) as { subject: unknown[] };
    expect(statement.subject).toHaveLength(1500);
  });

  it("names subjects relative to subject-root, the same by path and by checksums file", async () => {
    await writeFile(join(workspace, "dist/SHA256SUMS"), `${"b".repeat(64)}  app.tar.gz\n`);
    const result = await runAttestAction(
      inputs({ "subject-path": "dist/app-linux-amd64", "subject-checksums": "dist/SHA256SUMS", "subject-root": "dist", "signing-key": keys.privateKeyPem }),
      jobContext(),
    );
    expect(result.subjects.map((s) => s.name)).toEqual(["app-linux-amd64", "app.tar.gz"]);
    // Without it, the workspace (no .git above the temp directory) is the root.
    const plain = await runAttestAction(
      inputs({ "subject-path": "dist/app-linux-amd64", "subject-checksums": "dist/SHA256SUMS", "signing-key": keys.privateKeyPem }),
      jobContext(),
    );
    expect(plain.subjects.map((s) => s.name)).toEqual(["dist/app-linux-amd64", "dist/app.tar.gz"]);
  });

  it("takes subjects by digest and from a checksums file", async () => {
    await writeFile(join(workspace, "SHA256SUMS"), `${"b".repeat(64)}  app.tar.gz\n`);
    const result = await runAttestAction(
      inputs({
        "subject-digest": `sha256:${"a".repeat(64)}`,
        "subject-name": "ghcr.io/acme/app",
        "subject-checksums": "SHA256SUMS",
        "signing-key": encrypted.privateKeyPem,
        "key-password": "correct horse battery",
      }),
      jobContext(),
    );
    expect(result.subjects).toEqual([
      { name: "app.tar.gz", digest: { sha256: "b".repeat(64) } },
      { name: "ghcr.io/acme/app", digest: { sha256: "a".repeat(64) } },
    ]);
    expect(result.keyId).toBe(encrypted.keyId);
  });

  describe("trusts only its own inputs, not variables an earlier step could set", () => {
    it("ignores PROVENANT_GITHUB_OIDC_ISSUER: the issuer comes from the oidc-issuer input alone", async () => {
      const context = jobContext();
      const error = await provenantFailure(
        runAttestAction(inputs({ "subject-path": "dist/*", "signing-key": keys.privateKeyPem, "oidc-issuer": "" }), {
          ...context,
          env: { ...context.env, PROVENANT_GITHUB_OIDC_ISSUER: issuer.issuer },
        }),
      );
      // Verified against github.com's issuer, which did not sign the local token.
      expect(error.code).toBe("TOKEN_INVALID");
      expect(error.message).toContain("expected https://token.actions.githubusercontent.com");
    });

    /** A job whose REST API (a remote service) answers "Get a workflow run attempt"; requests are recorded. */
    function withApi(seen: { url: string; authorization: string | null }[]): ActionContext {
      const context = jobContext();
      const api = "https://api.example.test";
      return {
        ...context,
        env: { ...context.env, GITHUB_API_URL: api, GITHUB_TOKEN: "ghs_from_the_environment" },
        fetch: async (input, init) => {
          const request = new Request(input, init);
          if (!request.url.startsWith(api)) return globalThis.fetch(input, init);
          seen.push({ url: request.url, authorization: request.headers.get("authorization") });
          return Response.json({ run_started_at: "2026-11-20T09:58:01Z" });
        },
      };
    }

    it("an empty github-token input means no API call, even with GITHUB_TOKEN in the environment", async () => {
      const seen: { url: string; authorization: string | null }[] = [];
      const result = await runAttestAction(inputs({ "subject-path": "dist/*", "signing-key": keys.privateKeyPem, "github-token": "" }), withApi(seen));
      expect(seen).toEqual([]);
      const bundle = JSON.parse(await readFile(result.bundlePath, "utf8")) as { dsseEnvelope: { payload: string } };
      const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, "base64").toString()) as { predicate: { runDetails: { metadata: object } } };
      expect(statement.predicate.runDetails.metadata).not.toHaveProperty("startedOn");
    });

    it("calls the API with the github-token input, not the environment's token", async () => {
      const seen: { url: string; authorization: string | null }[] = [];
      await runAttestAction(inputs({ "subject-path": "dist/*", "signing-key": keys.privateKeyPem, "github-token": "ghs_from_the_input" }), withApi(seen));
      expect(seen).toHaveLength(1);
      expect(seen[0]!.authorization).toMatch(/ghs_from_the_input$/);
    });
  });

  describe("refuses bad input before writing anything", () => {
    const cases: [string, Record<string, string>, string][] = [
      ["a glob that matches nothing", { "subject-path": "dist/*.exe", "signing-key": keys.privateKeyPem }, "NO_SUBJECTS_MATCHED"],
      ["no subjects at all", { "signing-key": keys.privateKeyPem }, "EMPTY_SUBJECTS"],
      ["a digest without a name", { "subject-digest": `sha256:${"a".repeat(64)}`, "signing-key": keys.privateKeyPem }, "USAGE"],
      ["a malformed digest", { "subject-digest": "sha256:xyz", "subject-name": "app", "signing-key": keys.privateKeyPem }, "INVALID_DIGEST"],
      ["an empty signing key", { "subject-path": "dist/*", "signing-key": "" }, "KEY_UNREADABLE"],
      ["a wrong key password", { "subject-path": "dist/*", "signing-key": encrypted.privateKeyPem, "key-password": "wrong" }, "KEY_PASSWORD_WRONG"],
    ];
    it.each(cases)("%s", async (_name, values, code) => {
      const path = join(workspace, `refused-${code}.json`);
      const error = await provenantFailure(runAttestAction(inputs({ ...values, "bundle-path": path }), jobContext()));
      expect(error.code).toBe(code);
      expect(error.message).not.toContain(keys.privateKeyPem.split("\n")[1]!);
      await expect(readFile(path)).rejects.toThrow(/ENOENT/);
    });
  });
});
