import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, readFile, realpath, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { generateKeyPair } from "@provenant/core";
import { startTestIssuer, type TestIssuer } from "@provenant/oidc/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtCli, installedFile } from "../test-support/tools.js";
import { runnerEnvironment, workflowDispatch } from "../test-support/scenarios.js";

// Both actions end to end under GitHub's own local runner for actions,
// @github/local-action: it reads action.yml, loads a .env of GitHub
// variables and INPUT_* values, stubs @actions/core and calls the entry's
// run(). The job's ID token comes from a real OIDC issuer on 127.0.0.1.
const execute = promisify(execFile);
const packageDir = resolve(import.meta.dirname, "../..");

let issuer: TestIssuer;
let api: Server;
let apiUrl: string;
let workspace: string;
const keys = generateKeyPair("ecdsa-p256");

beforeAll(async () => {
  issuer = await startTestIssuer();
  // Stands in for GitHub's REST API ("Get a workflow run attempt"), which cannot run here.
  api = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ id: 7543891234, run_attempt: 2, status: "in_progress", run_started_at: "2026-11-20T09:58:01Z" }));
  });
  await new Promise<void>((done) => api.listen(0, "127.0.0.1", done));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  workspace = await mkdtemp(join(tmpdir(), "provenant-local-action-"));
  await writeFile(join(workspace, "app.tar.gz"), "release archive");
  await writeFile(join(workspace, "provenant.pub"), keys.publicKeyPem);
});
afterAll(async () => {
  await issuer.close();
  await new Promise((done) => api.close(done));
});

/** dotenv syntax: double-quoted values may span lines. */
function dotenv(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([name, value]) => `${name}="${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`)
    .join("\n");
}

/**
 * Runs local-action's own entry with the tsx it depends on. Its `local-action`
 * bin wrapper would do the same through `pnpm dlx tsx`, which fetches tsx
 * from the registry on every run.
 */
async function localAction(action: "attest" | "verify", values: Record<string, string>) {
  const localActionDir = await realpath(join(packageDir, "node_modules/@github/local-action")).catch(() => {
    throw new Error("@github/local-action is not installed: run `pnpm install` (it is a devDependency of @provenant/github)");
  });
  const tsx = installedFile(join(dirname(dirname(localActionDir)), "tsx/dist/cli.mjs"), "tsx (a dependency of @github/local-action)");
  const envFile = join(workspace, `${action}-${Math.random()}.env`);
  const summaryFile = join(workspace, `${action}-summary.md`);
  await writeFile(summaryFile, "");
  await writeFile(envFile, dotenv({ ...values, GITHUB_WORKSPACE: workspace, GITHUB_STEP_SUMMARY: summaryFile }));
  const { stdout } = await execute(
    process.execPath,
    [tsx, join(localActionDir, "src/index.ts"), "run", action, `../src/action/${action}/main.ts`, envFile],
    {
      cwd: packageDir,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, TARGET_ACTION_PATH: join(packageDir, action), NODE_PACKAGE_MANAGER: "pnpm", NODE_NO_WARNINGS: "1" },
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  return { stdout, summary: await readFile(summaryFile, "utf8") };
}

describe("actions under @github/local-action", () => {
  it("attest writes a bundle that `provenant verify` and the verify action accept", async () => {
    const scenario = workflowDispatch();
    issuer.setTokenEndpointClaims(scenario.claims);
    // Whole seconds: RFC 3339 timestamps may drop the milliseconds.
    const beforeAttest = Math.floor(Date.now() / 1000) * 1000;
    const attest = await localAction("attest", {
      ...runnerEnvironment(scenario),
      ACTIONS_ID_TOKEN_REQUEST_URL: issuer.tokenUrl,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: issuer.requestToken,
      GITHUB_API_URL: apiUrl,
      "INPUT_SUBJECT-PATH": "app.tar.gz",
      "INPUT_SIGNING-KEY": keys.privateKeyPem,
      "INPUT_BUNDLE-PATH": "app.sigstore.json",
      "INPUT_OIDC-ISSUER": issuer.issuer,
      "INPUT_GITHUB-TOKEN": "ghs_local_action_example",
    });
    expect(attest.stdout).not.toContain("::error::");
    expect(attest.stdout).toMatch(/::set-output name=bundle-path::.*app\.sigstore\.json/);
    expect(attest.summary).toContain("| app.tar.gz | `sha256:");
    for (const line of keys.privateKeyPem.split("\n").filter((l) => l && !l.startsWith("-----"))) {
      expect(attest.stdout).not.toContain(line);
    }

    const { stdout } = await execute(
      process.execPath,
      [builtCli(), "verify", "app.tar.gz", "--bundle", "app.sigstore.json", "--key", "provenant.pub", "--source-uri", "github.com/octo-org/octo-repo", "--source-branch", "main", "--slsa-level", "2", "--json"],
      { cwd: workspace },
    );
    const report = JSON.parse(stdout) as {
      verified: boolean;
      slsaLevel: { level: number };
      provenance: { buildDefinition: { externalParameters: Record<string, unknown> }; runDetails: { metadata: Record<string, unknown> } };
    };
    expect(report.verified).toBe(true);
    expect(report.slsaLevel.level).toBe(2);
    expect(report.provenance.buildDefinition.externalParameters.inputs).toEqual({ version: "1.4.0", "dry-run": false });
    const { startedOn, finishedOn } = report.provenance.runDetails.metadata as { startedOn: string; finishedOn: string };
    expect(startedOn).toBe("2026-11-20T09:58:01.000Z");
    // finishedOn is when the action attested: during this test (an ordering, not a duration).
    expect(Date.parse(finishedOn)).toBeGreaterThanOrEqual(beforeAttest);
    expect(Date.parse(finishedOn)).toBeLessThanOrEqual(Date.now());
    expect(Date.parse(finishedOn)).toBeGreaterThan(Date.parse(startedOn));

    const gate = await localAction("verify", {
      "INPUT_BUNDLE-PATH": "app.sigstore.json",
      "INPUT_SUBJECT-PATH": "app.tar.gz",
      "INPUT_PUBLIC-KEY": "provenant.pub",
      "INPUT_SOURCE-URI": "github.com/octo-org/*",
      "INPUT_SLSA-LEVEL": "2",
    });
    expect(gate.stdout).not.toContain("::error::");
    expect(gate.stdout).toContain("::set-output name=verified::true");
    expect(gate.summary).toContain("Provenance verified");
  }, 120_000);

  // Gates the bundle the test above wrote.
  it("the verify action fails the job with the report's reasons", async () => {
    const gate = await localAction("verify", {
      "INPUT_BUNDLE-PATH": "app.sigstore.json",
      "INPUT_SUBJECT-PATH": "app.tar.gz",
      "INPUT_PUBLIC-KEY": "provenant.pub",
      "INPUT_SOURCE-URI": "github.com/someone-else/*",
    });
    expect(gate.stdout).toContain("::set-output name=verified::false");
    expect(gate.stdout).toMatch(/::error::provenance did not verify:.*source repository/s);
  }, 120_000);

  // Gates the same bundle with a policy file, as `provenant verify --policy` would.
  it("the verify action with a policy explains every rule in the log and the summary, and fails on a denial", async () => {
    const policyFile = (branch: string) =>
      [
        "apiVersion: provenant.dev/v1",
        "trust:",
        "  keys:",
        "    - { name: release, file: provenant.pub }",
        "rules:",
        '  - name: "octo-org [releases](https://evil.example)"',
        "    provenance:",
        '      sourceUris: ["github.com/octo-org/*"]',
        `      branches: ["${branch}"]`,
        "      minimumLevel: 2",
        "",
      ].join("\n");
    await writeFile(join(workspace, "allow.yaml"), policyFile("main"));
    await writeFile(join(workspace, "deny.yaml"), policyFile("release/*"));
    const inputs = { "INPUT_BUNDLE-PATH": "app.sigstore.json", "INPUT_SUBJECT-PATH": "app.tar.gz" };

    const allowed = await localAction("verify", { ...inputs, INPUT_POLICY: "allow.yaml" });
    expect(allowed.stdout).not.toContain("::error::");
    expect(allowed.stdout).toMatch(/PASS {2}rule octo-org \[releases\]\(https:\/\/evil\.example\): /);
    expect(allowed.stdout).toMatch(/ALLOWED: /);
    expect(allowed.stdout).toContain("::set-output name=verified::true");
    expect(allowed.stdout).toContain("::set-output name=slsa-level::2");
    expect(allowed.summary).toMatch(/^## Policy allowed/);
    expect(allowed.summary).toContain("| ✅ | octo-org \\[releases\\]\\(https\\://evil.example\\) | |");

    const denied = await localAction("verify", { ...inputs, INPUT_POLICY: "deny.yaml" });
    expect(denied.stdout).toContain("::set-output name=verified::false");
    expect(denied.stdout).toMatch(/FAIL {2}rule octo-org/);
    expect(denied.stdout).toMatch(/::error::the policy denied:.*app\.tar\.gz: rule octo-org/s);
    expect(denied.summary).toMatch(/^## Policy DENIED/);
    expect(denied.summary).toMatch(/\| ❌ \| \| sourceBranch \| /);
  }, 120_000);
});
