import { createHash, createPublicKey } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Worker } from "node:worker_threads";
import { generateKeyPair, keyIdOf, parseBundle, verify } from "@provenant/core";
import type { MockTestRunner } from "azure-pipelines-task-lib/mock-test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AZURE_TOKEN_AUDIENCE } from "../facts/token.js";
import type { ServersReady, ServersWorkerData } from "../test-fixtures/servers-worker.ts";
import { prepareMockRunnerHome } from "../test-fixtures/task-runner-node.js";
import { AZURE_REPOS_CI_ENV, pipelineClaims } from "../test-fixtures/variables.js";

const require = createRequire(import.meta.url);
const packageRoot = resolve(import.meta.dirname, "../..");
const taskFolder = (task: string) => join(packageRoot, "dist", "extension", "tasks", task);

let runnerModule: typeof import("azure-pipelines-task-lib/mock-test");
let servers: ServersReady;
let serversWorker: Worker;
let work: string;
let keys: { privatePem: string; publicPem: string; keyId: string };

beforeAll(async () => {
  // The runner reads HOME once, when loaded, to find its Node download cache.
  const home = process.env.HOME;
  process.env.HOME = await prepareMockRunnerHome();
  runnerModule = await import("azure-pipelines-task-lib/mock-test");
  process.env.HOME = home;
  for (const task of ["ProvenantAttest", "ProvenantVerify"]) {
    await readFile(join(taskFolder(task), "index.js")).catch(() => {
      throw new Error(`${taskFolder(task)}/index.js is missing; run \`pnpm --filter @provenant/azure-pipelines build\` first`);
    });
  }
  const workerData: ServersWorkerData = {
    audience: AZURE_TOKEN_AUDIENCE,
    claims: pipelineClaims(AZURE_REPOS_CI_ENV),
    build: {
      project: { id: AZURE_REPOS_CI_ENV.SYSTEM_TEAMPROJECTID, name: AZURE_REPOS_CI_ENV.SYSTEM_TEAMPROJECT },
      buildId: 1234,
      definitionId: 42,
      revision: 7,
      yamlFilename: "/azure-pipelines.yml",
      reason: "individualCI",
      isHosted: true,
      templateParameters: {},
      jobId: AZURE_REPOS_CI_ENV.SYSTEM_JOBID,
      requestedFor: "dev@acme.example",
    },
  };
  serversWorker = new Worker(new URL("../test-fixtures/servers-worker.ts", import.meta.url), { workerData });
  servers = await new Promise<ServersReady>((resolveReady, reject) => {
    serversWorker.once("message", resolveReady);
    serversWorker.once("error", reject);
  });
  work = await mkdtemp(join(tmpdir(), "provenant-azure-task-"));
  await writeFile(join(work, "app.tar.gz"), "the artifact\n");
  await writeFile(join(work, "app.sbom.json"), "{}\n");
  const pair = generateKeyPair("ecdsa-p256");
  keys = { privatePem: pair.privateKeyPem, publicPem: pair.publicKeyPem, keyId: pair.keyId };
  await writeFile(join(work, "signing.key"), keys.privatePem, { mode: 0o600 });
  await writeFile(join(work, "signing.pub"), keys.publicPem);
}, 600_000);

afterAll(async () => {
  serversWorker?.postMessage("close");
  await new Promise((done) => serversWorker?.once("exit", done));
  if (work) await rm(work, { recursive: true, force: true });
});

/**
 * Writes the script the mock runner executes: it sets what the agent would
 * (inputs as INPUT_*, secret variables as SECRET_*, predefined variables as
 * env) and runs the bundled task entry with the real task library.
 */
async function runTask(
  task: string,
  setup: { inputs: Record<string, string>; env?: Record<string, string>; secrets?: Record<string, string> },
  nodeMajor?: 20 | 24,
): Promise<MockTestRunner> {
  const script = join(work, `${task}-${Math.random().toString(36).slice(2)}.run.cjs`);
  await writeFile(
    script,
    [
      `const { TaskMockRunner } = require(${JSON.stringify(require.resolve("azure-pipelines-task-lib/mock-run"))});`,
      // The agent sets Agent.TempDirectory; the task library keeps its vault key (.taskkey) there.
      `Object.assign(process.env, ${JSON.stringify({ AGENT_TEMPDIRECTORY: work, ...setup.env })});`,
      `const runner = new TaskMockRunner(${JSON.stringify(join(taskFolder(task), "index.js"))});`,
      `for (const [name, value] of Object.entries(${JSON.stringify(setup.inputs)})) runner.setInput(name, value);`,
      `for (const [name, value] of Object.entries(${JSON.stringify(setup.secrets ?? {})})) runner.setVariableName(name, value, true);`,
      // true: the bundled task library runs for real, not the runner's mock of it.
      "runner.run(true);",
      "",
    ].join("\n"),
  );
  const runner = new runnerModule.MockTestRunner();
  await runner.LoadAsync(script, join(taskFolder(task), "task.json"));
  await runner.runAsync(nodeMajor);
  return runner;
}

function jobEnv(): Record<string, string> {
  return {
    ...AZURE_REPOS_CI_ENV,
    SYSTEM_COLLECTIONURI: servers.collectionUri,
    SYSTEM_OIDCREQUESTURI: servers.tokenUrl,
  };
}

function outputVariable(runner: MockTestRunner, name: string): string | undefined {
  const line = runner.stdout.split("\n").find((l) => l.startsWith(`##vso[task.setvariable variable=${name};isOutput=true;`));
  return line?.slice(line.indexOf("]") + 1).trim();
}

describe("ProvenantAttest@1 and ProvenantVerify@1 under the mock test runner", () => {
  for (const nodeMajor of [24, 20] as const) {
    it(`attests with facts from the verified OIDC token and verifies the bundle (Node ${nodeMajor} handler)`, async () => {
      const bundlePath = join(work, `out-node${nodeMajor}`, "provenance.sigstore.json");
      const attestRun = await runTask(
        "ProvenantAttest",
        {
          inputs: { subjects: "*.tar.gz\n*.sbom.json", signingKeyFile: join(work, "signing.key"), bundlePath, workingDirectory: work, tokenIssuer: servers.issuer },
          // How the agent hands every task the job access token.
          env: { ...jobEnv(), ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN: servers.requestToken },
        },
        nodeMajor,
      );
      expect(attestRun.errorIssues).toEqual([]);
      expect(attestRun.succeeded).toBe(true);
      expect(outputVariable(attestRun, "bundlePath")).toBe(bundlePath);
      expect(outputVariable(attestRun, "keyId")).toBe(keys.keyId);
      expect(outputVariable(attestRun, "factsSource")).toBe("oidc-token");
      // The job access token is masked the agent's way before anything can print it.
      expect(attestRun.stdout).toContain(`##vso[task.setsecret]${servers.requestToken}`);
      const leaks = attestRun.stdout.split("\n").filter((l) => l.includes(servers.requestToken) && !l.startsWith("##vso[task.setsecret]"));
      expect(leaks).toEqual([]);

      const bundle = parseBundle(JSON.parse(await readFile(bundlePath, "utf8")));
      expect(bundle.verificationMaterial.publicKey?.hint).toBe(keys.keyId);
      const publicKey = createPublicKey(keys.publicPem);
      const report = verify(bundle, {
        trustedKeys: [{ publicKey, keyId: keyIdOf(publicKey) }],
        artifactDigests: [{ sha256: createHash("sha256").update("the artifact\n").digest("hex") }],
        policy: { builderId: `${servers.collectionUri}_agents/microsoft-hosted`, sourceBranch: "main", minimumLevel: 2 },
      });
      expect(report.checks.filter((c) => c.status === "fail")).toEqual([]);
      expect(report.slsaLevel.level).toBe(2);
      expect(report.statement?.subject.map((s) => s.name)).toEqual(["app.sbom.json", "app.tar.gz"]);

      const verifyRun = await runTask(
        "ProvenantVerify",
        {
          inputs: {
            artifacts: "app.tar.gz",
            bundlePath,
            publicKeyFile: join(work, "signing.pub"),
            builderId: `${servers.collectionUri}_agents/microsoft-hosted`,
            sourceUri: "dev.azure.com/acme/*/_git/payments-api",
            sourceBranch: "main",
            minimumSlsaLevel: "2",
            workingDirectory: work,
          },
        },
        nodeMajor,
      );
      expect(verifyRun.errorIssues).toEqual([]);
      expect(verifyRun.succeeded).toBe(true);
      expect(outputVariable(verifyRun, "verified")).toBe("true");
      expect(outputVariable(verifyRun, "slsaLevel")).toBe("2");
    }, 120_000);
  }

  it("fails verification of an artifact the bundle does not name, and of a policy the build does not meet", async () => {
    const bundlePath = join(work, "out-policy", "provenance.sigstore.json");
    const attestRun = await runTask("ProvenantAttest", {
      inputs: { subjects: "app.tar.gz", bundlePath, workingDirectory: work },
      env: { ...jobEnv(), SYSTEM_OIDCREQUESTURI: "", PROVENANT_SIGNING_KEY: keys.privatePem },
    });
    expect(attestRun.succeeded).toBe(true);
    expect(outputVariable(attestRun, "factsSource")).toBe("environment");
    expect(attestRun.warningIssues.some((w) => w.includes("SYSTEM_ACCESSTOKEN is not mapped"))).toBe(true);
    // The key mapped with env: is masked too, line by line: the task library refuses multi-line secrets.
    const keyLines = keys.privatePem.split("\n").filter((line) => line !== "" && !line.startsWith("-----"));
    for (const line of keyLines) expect(attestRun.stdout).toContain(`##vso[task.setsecret]${line}`);

    const wrongArtifact = await runTask("ProvenantVerify", {
      inputs: { artifacts: "app.sbom.json", bundlePath, publicKey: keys.publicPem, workingDirectory: work },
    });
    expect(wrongArtifact.succeeded).toBe(false);
    expect(outputVariable(wrongArtifact, "verified")).toBe("false");
    expect(wrongArtifact.errorIssues.join("\n")).toMatch(/^provenance did not verify: subject:/);

    const levelTwo = await runTask("ProvenantVerify", {
      inputs: { artifacts: "app.tar.gz", bundlePath, publicKey: keys.publicPem, minimumSlsaLevel: "2", workingDirectory: work },
    });
    expect(levelTwo.succeeded).toBe(false);
    expect(outputVariable(levelTwo, "slsaLevel")).toBe("1");
  }, 120_000);

  it("fails with a coded error when no signing key is given", async () => {
    const run = await runTask("ProvenantAttest", {
      inputs: { subjects: "app.tar.gz", bundlePath: join(work, "never.json"), workingDirectory: work },
      env: jobEnv(),
    });
    expect(run.succeeded).toBe(false);
    expect(run.errorIssues).toEqual([expect.stringMatching(/^KEY_UNREADABLE: no signing key;/)]);
    await expect(readFile(join(work, "never.json"))).rejects.toThrow();
  }, 120_000);
});
