import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { startTestIssuer, type TestIssuer } from "@provenant/oidc/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tokenJobContext } from "../../test-support/action-context.js";
import { pushTag } from "../../test-support/scenarios.js";
import { builtCli } from "../../test-support/tools.js";
import { attestInputsFrom } from "../inputs.js";
import { runAttestAction } from "./run.js";

const run = promisify(execFile);
const AUDIENCE = "provenant-signing";

// The attest action with server-url against the real `provenant server`
// (the built CLI) over HTTP, trusting a local issuer that serves GitHub's
// token endpoint and claim set; `provenant verify --service-key` then says L3.
let issuer: TestIssuer;
let workspace: string;
let server: ChildProcess | undefined;
let serverUrl: string;

beforeAll(async () => {
  issuer = await startTestIssuer();
  workspace = await mkdtemp(join(tmpdir(), "provenant-action-server-"));
  await mkdir(join(workspace, "dist"));
  await writeFile(join(workspace, "dist/app"), "binary");
  const data = join(workspace, "data");
  await mkdir(data);
  const trusted = { issuer: issuer.issuer, platform: "github", serverUrl: "https://github.com", audiences: [AUDIENCE], repositories: ["Codertocat/*"] };
  await writeFile(join(data, "server.json"), JSON.stringify({ signing: { trustedIssuers: [trusted] } }));
  const child = spawn(process.execPath, [builtCli(), "server", "--data", data, "--listen", "127.0.0.1:0"], { stdio: ["ignore", "pipe", "pipe"] });
  server = child;
  serverUrl = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk) => {
      out += String(chunk);
      const match = /listening on (\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once("exit", (code) => reject(new Error(`provenant server exited with ${code} before listening`)));
  });
}, 60_000);
afterAll(async () => {
  if (server?.pid) process.kill(server.pid, "SIGTERM");
  await issuer.close();
  await rm(workspace, { recursive: true, force: true });
});

describe("attest action with server-url", () => {
  it("gets provenance signed by the server's signing service; verify --service-key reports L3", async () => {
    const inputs = attestInputsFrom(
      (name) => ({ "subject-path": "dist/app", "server-url": serverUrl, "token-audience": AUDIENCE, "bundle-path": "app.sigstore.json" })[name] ?? "",
    );
    const result = await runAttestAction(inputs, tokenJobContext(issuer, pushTag(), workspace));
    expect(result.factsSource).toBe("service-oidc-token");
    // The job summary says who signed and how to verify it: with the service key.
    expect(result.summary).toContain("Built and signed by the signing service");
    expect(result.summary).toContain("--service-key signing.pub --slsa-level 3");
    const bundle = JSON.parse(await readFile(join(workspace, "app.sigstore.json"), "utf8"));
    expect(bundle.verificationMaterial.tlogEntries).toHaveLength(1);
    const { stdout } = await run(
      process.execPath,
      [builtCli(), "verify", "dist/app", "--bundle", "app.sigstore.json", "--service-key", join(workspace, "data", "signing.pub"),
        "--source-uri", "github.com/Codertocat/*", "--slsa-level", "3", "--json"],
      { cwd: workspace },
    );
    expect(JSON.parse(stdout)).toMatchObject({ verified: true, slsaLevel: { level: 3 } });
  });

  it("fails rather than falling back when the server is unreachable, and refuses a signing key beside server-url", async () => {
    const context = tokenJobContext(issuer, pushTag(), workspace);
    const unreachable = attestInputsFrom((name) => ({ "subject-path": "dist/app", "server-url": "http://127.0.0.1:9", "token-audience": AUDIENCE })[name] ?? "");
    await expect(runAttestAction(unreachable, context)).rejects.toMatchObject({ code: "IO_ERROR" });
    const both = attestInputsFrom((name) => ({ "subject-path": "dist/app", "server-url": serverUrl, "signing-key": "x" })[name] ?? "");
    await expect(runAttestAction(both, context)).rejects.toMatchObject({ code: "USAGE" });
  });
});
