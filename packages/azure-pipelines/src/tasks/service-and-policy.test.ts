import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { Worker } from "node:worker_threads";
import { type CollectContext, FACTS_SOURCE_FIELD, parseBundle } from "@provenant/core";
import type { MockTestRunner } from "azure-pipelines-task-lib/mock-test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectAzurePipelinesFacts } from "../facts/collect.js";
import { AZURE_TOKEN_AUDIENCE, azureTokenIssuer } from "../facts/token.js";
import { azurePipelinesProvenance } from "../provenance/provenance.js";
import { HOSTED_QUEUE } from "../test-fixtures/azure-devops-server.js";
import type { ServersReady, ServersWorkerData } from "../test-fixtures/servers-worker.ts";
import { prepareMockRunnerHome } from "../test-fixtures/task-runner-node.js";
import { AZURE_REPOS_CI_ENV, pipelineClaims } from "../test-fixtures/variables.js";
import { vstokenDiscovery } from "../test-fixtures/vstoken.js";

// ProvenantAttest@1 with serverUrl against the real `provenant server` (the
// built CLI, its own process, so it answers while the mock runner's
// spawnSync blocks this one), and ProvenantVerify@1 with a policy file.
const run = promisify(execFile);
const require = createRequire(import.meta.url);
const packageRoot = resolve(import.meta.dirname, "../..");
const taskFolder = (task: string) => join(packageRoot, "dist", "extension", "tasks", task);
const CLI = resolve(packageRoot, "../cli/dist/provenant.mjs");
const VSTOKEN_ISSUER = azureTokenIssuer(AZURE_REPOS_CI_ENV.SYSTEM_COLLECTIONID);

let runnerModule: typeof import("azure-pipelines-task-lib/mock-test");
let servers: ServersReady;
let serversWorker: Worker;
let work: string;
let server: ChildProcess | undefined;
let serverUrl: string;
/** The service bundle the first test gets, which the policy tests then judge. */
let serviceBundle: string;

beforeAll(async () => {
  if (!existsSync(CLI)) {
    throw new Error(`${CLI} is missing: these tests run the built CLI as the server; build it with \`pnpm --filter @provenant/cli build\``);
  }
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
      queue: HOSTED_QUEUE,
      jobQueue: HOSTED_QUEUE,
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
  work = await mkdtemp(join(tmpdir(), "provenant-azure-service-"));
  await writeFile(join(work, "app.tar.gz"), "the artifact\n");
  await writeFile(join(work, "signing.key"), "not used\n");

  // The server trusts the issuer that signs Azure's claim set under its own
  // name (the `foreign` one of the worker: the real vstoken name would send the
  // server to the internet for its keys), for Azure's one audience.
  const data = join(work, "data");
  await mkdir(data);
  const trusted = {
    issuer: servers.foreign.issuer,
    platform: "azure-pipelines",
    audiences: [AZURE_TOKEN_AUDIENCE],
    repositories: ["dev.azure.com/acme/Payments Platform/_git/*"],
    builders: ["acme/Payments Platform/*"],
  };
  await writeFile(join(data, "server.json"), JSON.stringify({ signing: { trustedIssuers: [trusted] } }));
  const child = spawn(process.execPath, [CLI, "server", "--data", data, "--listen", "127.0.0.1:0"], { stdio: ["ignore", "pipe", "pipe"] });
  server = child;
  serverUrl = await new Promise<string>((resolveUrl, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk) => {
      out += String(chunk);
      const match = /listening on (\S+)/.exec(out);
      if (match) resolveUrl(match[1]!);
    });
    child.once("exit", (code) => reject(new Error(`provenant server exited with ${code} before listening`)));
  });
  // Its log keeps flowing while a task runs; drain it so the pipe never fills.
  child.stdout!.resume();
  child.stderr!.resume();
}, 600_000);

afterAll(async () => {
  if (server?.pid) process.kill(server.pid, "SIGTERM");
  serversWorker?.postMessage("close");
  await new Promise((done) => serversWorker?.once("exit", done));
  if (work) await rm(work, { recursive: true, force: true });
});

/**
 * The mock runner's script: inputs as INPUT_*, variables as env, the bundled
 * task with the real task library. Below https://dev.azure.com/acme/ (the one
 * host the task sends the job access token to) the Oidctoken - Create request
 * goes to `tokenUrl`, inside the task process only (services-route.cjs).
 */
async function runTask(
  task: string,
  setup: { inputs: Record<string, string>; env?: Record<string, string>; tokenUrl?: string },
  nodeMajor?: 20 | 24,
): Promise<MockTestRunner> {
  const script = join(work, `${task}-${Math.random().toString(36).slice(2)}.run.cjs`);
  await writeFile(
    script,
    [
      `const { TaskMockRunner } = require(${JSON.stringify(require.resolve("azure-pipelines-task-lib/mock-run"))});`,
      `Object.assign(process.env, ${JSON.stringify({ AGENT_TEMPDIRECTORY: work, ...setup.env })});`,
      `const route = require(${JSON.stringify(join(import.meta.dirname, "../test-fixtures/services-route.cjs"))}).routeServices(${JSON.stringify({ tokenUrl: setup.tokenUrl ?? servers.foreign.tokenUrl, apiOrigin: servers.azureOrigin })});`,
      "globalThis.fetch = route.fetch;",
      `const runner = new TaskMockRunner(${JSON.stringify(join(taskFolder(task), "index.js"))});`,
      `for (const [name, value] of Object.entries(${JSON.stringify(setup.inputs)})) runner.setInput(name, value);`,
      "runner.run(true);",
      "",
    ].join("\n"),
  );
  const runner = new runnerModule.MockTestRunner();
  await runner.LoadAsync(script, join(taskFolder(task), "task.json"));
  await runner.runAsync(nodeMajor);
  return runner;
}

function outputVariable(runner: MockTestRunner, name: string): string | undefined {
  const line = runner.stdout.split("\n").find((l) => l.startsWith(`##vso[task.setvariable variable=${name};isOutput=true;`));
  return line?.slice(line.indexOf("]") + 1).trim();
}

/** The job, with the access token the agent hands every task (SYSTEMVSSCONNECTION). */
function jobEnv(accessToken = servers.foreign.requestToken): Record<string, string> {
  return { ...AZURE_REPOS_CI_ENV, ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN: accessToken };
}

/** The same claims through the local path, with a job that says no more than the token (see from-claims.test.ts). */
async function localPathProvenance() {
  const answer = await fetch(servers.tokenUrl, { method: "POST", headers: { authorization: `Bearer ${servers.requestToken}` }, body: "{}" });
  const token = ((await answer.json()) as { oidcToken: string }).oidcToken;
  const context: CollectContext = {
    env: {
      TF_BUILD: "True",
      SYSTEM_COLLECTIONURI: AZURE_REPOS_CI_ENV.SYSTEM_COLLECTIONURI,
      SYSTEM_COLLECTIONID: AZURE_REPOS_CI_ENV.SYSTEM_COLLECTIONID,
      SYSTEM_TEAMPROJECT: AZURE_REPOS_CI_ENV.SYSTEM_TEAMPROJECT,
      BUILD_DEFINITIONNAME: AZURE_REPOS_CI_ENV.BUILD_DEFINITIONNAME,
      PIPELINE_ID_TOKEN: token,
    },
    cwd: work,
    fetch: vstokenDiscovery(VSTOKEN_ISSUER, servers.jwksUri),
    warn: () => {},
    now: () => new Date(),
    options: { tokenVariable: "PIPELINE_ID_TOKEN" },
  };
  return azurePipelinesProvenance(await collectAzurePipelinesFacts(context));
}

function statementOf(bundleText: string) {
  const bundle = parseBundle(JSON.parse(bundleText));
  return JSON.parse(Buffer.from(bundle.dsseEnvelope!.payload, "base64").toString("utf8")) as {
    subject: { name: string; digest: { sha256: string } }[];
    predicate: { buildDefinition: { internalParameters: Record<string, unknown> } & Record<string, unknown>; runDetails: { metadata: Record<string, unknown> } & Record<string, unknown> };
  };
}

describe("ProvenantAttest@1 with serverUrl: the signing service signs", () => {
  it("requests the pipeline token, gets the bundle from the server, masks both tokens; verify --service-key reports L2 (pool unknown), and the provenance equals the local path's", async () => {
    const bundlePath = join(work, "service", "provenance.sigstore.json");
    const attest = await runTask("ProvenantAttest", { inputs: { subjects: "app.tar.gz", serverUrl, bundlePath, workingDirectory: work }, env: jobEnv() });
    expect(attest.errorIssues).toEqual([]);
    expect(attest.succeeded).toBe(true);
    expect(outputVariable(attest, "factsSource")).toBe("service-oidc-token");
    const servicePub = await readFile(join(work, "data", "signing.pub"), "utf8");
    expect(outputVariable(attest, "keyId")).toMatch(/^[0-9a-f]{64}$/);

    // The job access token and the OIDC token are registered as secrets, and appear nowhere else.
    const masked = attest.stdout.split("\n").flatMap((l) => (l.startsWith("##vso[task.setsecret]") ? [l.slice("##vso[task.setsecret]".length).trim()] : []));
    expect(masked).toContain(servers.foreign.requestToken);
    const idToken = masked.find((value) => value.split(".").length === 3 && value.startsWith("eyJ"));
    expect(idToken, "the OIDC token is masked").toBeDefined();
    for (const secret of [servers.foreign.requestToken, idToken!]) {
      expect(attest.stdout.split("\n").filter((l) => l.includes(secret) && !l.startsWith("##vso[task.setsecret]"))).toEqual([]);
    }

    serviceBundle = await readFile(bundlePath, "utf8");
    // The vault's log proof comes back with it, written as the server sent it.
    expect(JSON.parse(serviceBundle).verificationMaterial.tlogEntries).toHaveLength(1);
    const statement = statementOf(serviceBundle);
    expect(statement.predicate.runDetails.metadata[FACTS_SOURCE_FIELD]).toBe("service-oidc-token");

    await writeFile(join(work, "service.pub"), servicePub);
    const verifyArgs = ["verify", "app.tar.gz", "--bundle", bundlePath, "--service-key", join(work, "service.pub"), "--source-uri", "dev.azure.com/acme/*/_git/payments-api", "--json"];
    const { stdout } = await run(process.execPath, [CLI, ...verifyArgs, "--slsa-level", "2"], { cwd: work });
    expect(JSON.parse(stdout)).toMatchObject({ verified: true, slsaLevel: { level: 2, reason: expect.stringMatching(/Azure Pipelines agent whose pool is not known to be Microsoft-hosted/) } });
    await expect(run(process.execPath, [CLI, ...verifyArgs, "--slsa-level", "3"], { cwd: work })).rejects.toMatchObject({ code: 1 });

    // The same claims through the adapter's local path: identical but for the facts source and the
    // issuer's name (the server trusts the local issuer's own name; the local path only vstoken's).
    const local = await localPathProvenance();
    const served = statement.predicate;
    const withoutSourceAndIssuer = (p: { buildDefinition: Record<string, unknown>; runDetails: Record<string, unknown> }) => {
      const { idTokenIssuer: _issuer, ...internalParameters } = p.buildDefinition.internalParameters as Record<string, unknown>;
      const { [FACTS_SOURCE_FIELD]: _source, ...metadata } = p.runDetails.metadata as Record<string, unknown>;
      return { buildDefinition: { ...p.buildDefinition, internalParameters }, runDetails: { ...p.runDetails, metadata } };
    };
    expect(withoutSourceAndIssuer(served)).toEqual(withoutSourceAndIssuer(local as never));
    expect(served.buildDefinition.internalParameters.idTokenIssuer).toBe(servers.foreign.issuer);
  }, 180_000);

  it("fails clearly without a reachable server, writes nothing and never signs with a key instead; refuses serverUrl beside a key", async () => {
    const bundlePath = join(work, "unreachable", "provenance.sigstore.json");
    const unreachable = await runTask("ProvenantAttest", {
      inputs: { subjects: "app.tar.gz", serverUrl: "http://127.0.0.1:9", bundlePath, workingDirectory: work },
      env: { ...jobEnv(), PROVENANT_SIGNING_KEY: "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n" },
    });
    expect(unreachable.succeeded).toBe(false);
    expect(unreachable.errorIssues).toEqual([expect.stringMatching(/^IO_ERROR: /)]);
    expect(existsSync(bundlePath)).toBe(false);

    const both = await runTask("ProvenantAttest", {
      inputs: { subjects: "app.tar.gz", serverUrl, signingKeyFile: join(work, "signing.key"), bundlePath, workingDirectory: work },
      env: jobEnv(),
    });
    expect(both.errorIssues).toEqual([expect.stringMatching(/^USAGE: serverUrl is set together with a signing key/)]);

    const audience = await runTask("ProvenantAttest", {
      inputs: { subjects: "app.tar.gz", serverUrl, tokenAudience: serverUrl, bundlePath, workingDirectory: work },
      env: jobEnv(),
    });
    expect(audience.errorIssues).toEqual([expect.stringMatching(/^USAGE: Azure Pipelines tokens always carry the audience api:\/\/AzureADTokenExchange/)]);
    expect(existsSync(bundlePath)).toBe(false);
  }, 180_000);
});

/** The summary file the task handed the agent with `##vso[task.uploadsummary]`. */
async function summaryOf(runner: MockTestRunner): Promise<string> {
  const line = runner.stdout.split("\n").find((l) => l.startsWith("##vso[task.uploadsummary]"));
  if (!line) throw new Error(`no uploadsummary command in:\n${runner.stdout}`);
  return readFile(line.slice("##vso[task.uploadsummary]".length).trim(), "utf8");
}

async function writePolicy(name: string, rule: Record<string, unknown>): Promise<string> {
  const policy = {
    apiVersion: "provenant.dev/v1",
    kind: "Policy",
    metadata: { name },
    trust: { keys: [{ name: "provenant-service", file: "service.pub", service: true }] },
    rules: [rule],
  };
  const path = join(work, `${name}.policy.json`);
  await writeFile(path, JSON.stringify(policy, null, 2));
  return path;
}

/** The bundle the signing service signed in the first describe block (tests of a file run in order). */
async function serviceBundleFile(): Promise<string> {
  expect(serviceBundle, "the signing-service test runs first and leaves its bundle").toBeDefined();
  const path = join(work, "policy-service.sigstore.json");
  await writeFile(path, serviceBundle);
  return path;
}

describe("ProvenantVerify@1 with a policy file", () => {
  const provenanceRule = (overrides: Record<string, unknown>) => ({
    name: "release | [tarballs](https://evil.example) <b>",
    match: { artifacts: ["*.tar.gz"] },
    provenance: { signers: { keys: ["provenant-service"] }, sourceUris: ["dev.azure.com/acme/*/_git/payments-api"], branches: ["main"], ...overrides },
    cel: [{ expr: 'report.source.ref == "refs/heads/main"', message: "built from main" }],
  });

  for (const nodeMajor of [24, 20] as const) {
    it(`allows what the policy allows, explaining each rule in the log and the summary tab (Node ${nodeMajor} handler)`, async () => {
      await serviceBundleFile();
      const policy = await writePolicy("allow", provenanceRule({ minimumLevel: 2 }));
      const verify = await runTask(
        "ProvenantVerify",
        { inputs: { artifacts: "app.tar.gz", bundlePath: join(work, "policy-service.sigstore.json"), policy, workingDirectory: work } },
        nodeMajor,
      );
      expect(verify.errorIssues).toEqual([]);
      expect(verify.succeeded).toBe(true);
      expect(outputVariable(verify, "verified")).toBe("true");
      expect(outputVariable(verify, "slsaLevel")).toBe("2");
      expect(verify.stdout).toMatch(/PASS {2}rule release \| \[tarballs\]\(https:\/\/evil\.example\) <b>:/);
      // Each artifact's explanation opens with a line of ours, as the CLI and the GitHub action print it.
      expect(verify.stdout).toMatch(/^artifact app\.tar\.gz$/m);
      expect(verify.stdout).toContain("ALLOWED by policy");
      const summary = await summaryOf(verify);
      expect(summary).toMatch(/^## Policy allowed$/m);
      expect(summary).toMatch(/^### ✅ `app\.tar\.gz`: allowed$/m);
      // The rule name is shown, inert: no link, no HTML, no extra table cell.
      expect(summary).toContain("| ✅ | release \\| \\[tarballs\\]\\(https\\://evil.example\\) &lt;b&gt; | |");
      expect(summary).not.toContain("<b>");
      expect(summary).toMatch(/\| ✅ \| \| slsaLevel \| SLSA Build L2/);
    }, 180_000);
  }

  it("fails the task on deny, with the failing rule and its reason in the log and the summary", async () => {
    await serviceBundleFile();
    const policy = await writePolicy("deny", provenanceRule({ minimumLevel: 3 }));
    const verify = await runTask("ProvenantVerify", {
      inputs: { artifacts: "app.tar.gz", bundlePath: join(work, "policy-service.sigstore.json"), policy, workingDirectory: work },
    });
    expect(verify.succeeded).toBe(false);
    expect(outputVariable(verify, "verified")).toBe("false");
    expect(verify.errorIssues).toEqual([expect.stringMatching(/^POLICY_DENIED: policy .*deny\.policy\.json denies app\.tar\.gz/)]);
    expect(verify.stdout).toMatch(/FAIL {2}slsaLevel +SLSA Build L2, policy requires L3: .*Azure Pipelines agent whose pool is not known/);
    expect(verify.stdout).toContain("DENIED by policy");
    const summary = await summaryOf(verify);
    expect(summary).toMatch(/^## Policy DENIED$/m);
    expect(summary).toMatch(/\| ❌ \| \| slsaLevel \| SLSA Build L2, policy requires L3\\:/);
  }, 180_000);

  it("refuses a policy mixed with the inputs it replaces, and evidence without a policy", async () => {
    await serviceBundleFile();
    const policy = await writePolicy("mixed", provenanceRule({}));
    const mixed = await runTask("ProvenantVerify", {
      inputs: { artifacts: "app.tar.gz", bundlePath: join(work, "policy-service.sigstore.json"), policy, publicKeyFile: join(work, "service.pub"), workingDirectory: work },
    });
    expect(mixed.errorIssues).toEqual([expect.stringMatching(/^USAGE: policy is set together with publicKeyFile/)]);
    const evidence = await runTask("ProvenantVerify", {
      inputs: { artifacts: "app.tar.gz", bundlePath: join(work, "policy-service.sigstore.json"), evidence: "x.json", publicKeyFile: join(work, "service.pub"), workingDirectory: work },
    });
    expect(evidence.errorIssues).toEqual([expect.stringMatching(/^USAGE: evidence is set without policy/)]);
  }, 180_000);
});
