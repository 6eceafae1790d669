import { execFile } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { generateKeyPair } from "@provenant/core";
import { describe, expect, it } from "vitest";
import { pushTag, runnerEnvironment } from "../test-support/scenarios.js";

const run = promisify(execFile);
const packageDir = resolve(import.meta.dirname, "../..");
const ACTIONS = ["attest", "verify"] as const;

describe("committed action bundles", () => {
  it("are exactly what a fresh build of the sources gives (run `pnpm --filter @provenant/github bundle`)", async () => {
    const out = await mkdtemp(join(tmpdir(), "provenant-actions-"));
    const tsupPackage = createRequire(resolve(packageDir, "../../package.json")).resolve("tsup/package.json");
    const tsupCli = join(dirname(tsupPackage), "dist/cli-default.js");
    await run(process.execPath, [tsupCli, "--config", "tsup.actions.config.ts"], {
      cwd: packageDir,
      env: { ...process.env, PROVENANT_ACTIONS_OUT: out },
    });
    for (const action of ACTIONS) {
      const fresh = await readFile(join(out, action, "dist/index.js"), "utf8");
      const committed = await readFile(join(packageDir, action, "dist/index.js"), "utf8");
      expect(committed === fresh, `${action}/dist/index.js is stale; run \`pnpm --filter @provenant/github bundle\` and commit it`).toBe(true);
    }
  }, 120_000);
});

describe("the attest bundle as the runner starts it", () => {
  // The runner passes inputs as INPUT_<NAME> variables and reads outputs and
  // the summary from the files named by GITHUB_OUTPUT / GITHUB_STEP_SUMMARY.
  async function runAction(action: string, inputs: Record<string, string>, env: Record<string, string>, cwd: string) {
    const output = join(cwd, `output-${Math.random()}`);
    const summary = join(cwd, `summary-${Math.random()}`);
    await writeFile(output, "");
    await writeFile(summary, "");
    const inputEnv = Object.fromEntries(Object.entries(inputs).map(([name, value]) => [`INPUT_${name.toUpperCase()}`, value]));
    const result = await run(process.execPath, [join(packageDir, action, "dist/index.js")], {
      cwd,
      env: { PATH: process.env.PATH, ...env, ...inputEnv, GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: summary },
    }).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
    );
    return { ...result, outputs: await readFile(output, "utf8"), summary: await readFile(summary, "utf8") };
  }

  it("masks every line of the signing key, its password, the API token and the registry password before printing anything else", async () => {
    const keys = generateKeyPair("ecdsa-p256", "s3cret-pass");
    const cwd = await mkdtemp(join(tmpdir(), "provenant-runner-"));
    await writeFile(join(cwd, "app.bin"), "artifact");
    const { code, stdout, outputs, summary } = await runAction(
      "attest",
      { "subject-path": "app.bin", "signing-key": keys.privateKeyPem, "key-password": "s3cret-pass", "registry-password": "reg-Passw0rd", "github-token": "ghs_mask_me", "bundle-path": "out.sigstore.json" },
      // Port 1 refuses at once: the start time is skipped with a warning.
      { ...runnerEnvironment(pushTag()), GITHUB_API_URL: "http://127.0.0.1:1" },
      cwd,
    );
    expect(code).toBe(0);
    const lines = stdout.split("\n");
    const firstOther = lines.findIndex((line) => !line.startsWith("::add-mask::"));
    const masked = lines.slice(0, firstOther).map((line) => line.slice("::add-mask::".length));
    const secretLines = keys.privateKeyPem.split("\n").filter((line) => line && !line.startsWith("-----"));
    expect(masked).toEqual(expect.arrayContaining([...secretLines, "s3cret-pass", "reg-Passw0rd", "ghs_mask_me"]));
    for (const secret of [...secretLines, "s3cret-pass", "reg-Passw0rd", "ghs_mask_me"]) expect(lines.slice(firstOther).join("\n")).not.toContain(secret);
    expect(outputs).toMatch(/^bundle-path<<.*\n.*out\.sigstore\.json\n/m);
    expect(outputs).toContain('[{"name":"app.bin","digest":{"sha256":');
    expect(summary).toContain("| app.bin | `sha256:");
  });

  it("fails the step with the coded reason when a glob matches nothing", async () => {
    const keys = generateKeyPair("ecdsa-p256");
    const cwd = await mkdtemp(join(tmpdir(), "provenant-runner-"));
    const { code, stdout } = await runAction("attest", { "subject-path": "build/*.tgz", "signing-key": keys.privateKeyPem }, runnerEnvironment(pushTag()), cwd);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^::error::\[NO_SUBJECTS_MATCHED\] build\/\*\.tgz: matches no file/m);
  });
});
