import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { generateKeyPair } from "@provenant/core";
import { startTestIssuer, type TestIssuer } from "@provenant/oidc/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtCli } from "./test-support/tools.js";
import { reusableWorkflow, runnerEnvironment } from "./test-support/scenarios.js";

// The built single-file CLI, as a workflow step runs it: the platform is
// detected from GITHUB_ACTIONS and this adapter is loaded through the registry.
const execute = promisify(execFile);

let issuer: TestIssuer;
let workspace: string;
const keys = generateKeyPair("ecdsa-p256");
beforeAll(async () => {
  issuer = await startTestIssuer();
  workspace = await mkdtemp(join(tmpdir(), "provenant-github-cli-"));
  await writeFile(join(workspace, "app.tar.gz"), "release archive");
  await writeFile(join(workspace, "signing.pub"), keys.publicKeyPem);
});
afterAll(async () => {
  await issuer.close();
});

/** A reusable workflow's job whose token service is the local issuer's. */
function tokenJob() {
  const scenario = reusableWorkflow();
  issuer.setTokenEndpointClaims(scenario.claims);
  return {
    PATH: process.env.PATH,
    ...runnerEnvironment(scenario),
    ACTIONS_ID_TOKEN_REQUEST_URL: issuer.tokenUrl,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: issuer.requestToken,
    PROVENANT_SIGNING_KEY: keys.privateKeyPem,
  };
}

describe("provenant attest on a GitHub runner", () => {
  it("detects GitHub, uses the job's token, and the result verifies at L2 with the reusable workflow as builder", async () => {
    const env = tokenJob();
    const attest = await execute(
      process.execPath,
      [builtCli(), "attest", "app.tar.gz", "--token-issuer", issuer.issuer, "--token-audience", "https://provenant.acme.example", "--json"],
      { cwd: workspace, env },
    );
    expect(JSON.parse(attest.stdout)).toMatchObject({ platform: "github" });
    const tokenRequest = issuer.requests.filter((r) => r.path.startsWith("/token")).at(-1)!;
    expect(new URL(tokenRequest.path, issuer.url).searchParams.get("audience")).toBe("https://provenant.acme.example");

    const verify = await execute(
      process.execPath,
      [builtCli(), "verify", "app.tar.gz", "--bundle", "provenance.sigstore.json", "--key", "signing.pub", "--slsa-level", "2",
        "--builder-id", "https://github.com/octo-org/builders/.github/workflows/build-and-attest.yml", "--source-tag", "simple-tag"],
      { cwd: workspace },
    );
    expect(verify.stdout).toContain("SLSA Build L2");
    expect(verify.stdout).toContain("VERIFIED");
  });

  it("never takes the issuer from a variable an earlier step could set through GITHUB_ENV", async () => {
    // The attack: a job without id-token: write whose earlier step points the
    // token request and the issuer at a server it runs, which signs whatever
    // repository and workflow it likes.
    const env = { ...tokenJob(), PROVENANT_GITHUB_OIDC_ISSUER: issuer.issuer };
    const before = issuer.requests.length;
    const attest = await execute(process.execPath, [builtCli(), "attest", "app.tar.gz", "--bundle", "forged.sigstore.json"], { cwd: workspace, env }).then(
      () => ({ code: 0, stderr: "" }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(attest.code).toBe(1);
    expect(attest.stderr).toContain(`[TOKEN_INVALID]: the ID token's issuer is ${issuer.issuer}; expected https://token.actions.githubusercontent.com`);
    expect(existsSync(join(workspace, "forged.sigstore.json"))).toBe(false);
    expect(issuer.requests.slice(before).map((r) => r.path.split("?")[0])).toEqual(["/token"]);
  });
});
