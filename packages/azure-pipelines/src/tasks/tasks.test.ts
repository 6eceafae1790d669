import { createHash, createPublicKey } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Worker } from "node:worker_threads";
import { generateKeyPair, keyIdOf, parseBundle, verify } from "@provenant/core";
import { type LayoutImage, makeOciLayout, removeLayouts, skopeoCopy, skopeoInspectRaw, startRegistry, type TestRegistry } from "@provenant/oci/testing";
import type { MockTestRunner } from "azure-pipelines-task-lib/mock-test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AZURE_TOKEN_AUDIENCE, azureTokenIssuer } from "../facts/token.js";
import { HOSTED_QUEUE } from "../test-fixtures/azure-devops-server.js";
import type { ServersReady, ServersRequests, ServersWorkerData } from "../test-fixtures/servers-worker.ts";
import { prepareMockRunnerHome } from "../test-fixtures/task-runner-node.js";
import { AZURE_REPOS_CI_ENV, pipelineClaims } from "../test-fixtures/variables.js";
import { runAttestTask } from "./attest/run.js";

const require = createRequire(import.meta.url);
const packageRoot = resolve(import.meta.dirname, "../..");
const taskFolder = (task: string) => join(packageRoot, "dist", "extension", "tasks", task);

let runnerModule: typeof import("azure-pipelines-task-lib/mock-test");
let servers: ServersReady;
let serversWorker: Worker;
let work: string;
let keys: { privatePem: string; publicPem: string; keyId: string };

/** The issuer Azure DevOps names for the fixture organization, the one the attest task trusts. */
const VSTOKEN_ISSUER = azureTokenIssuer(AZURE_REPOS_CI_ENV.SYSTEM_COLLECTIONID);

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
      // vstoken.dev.azure.com's discovery document and JWKS (on its own origin, as the verifier
      // requires), answered inside the task process (the task's fetch is globalThis.fetch) with
      // the test issuer's keys, as vstoken.ts does for in-process tests. Only code in that process
      // can do this; no input or variable can.
      `const discovery = ${JSON.stringify({ url: `${VSTOKEN_ISSUER}/.well-known/openid-configuration`, body: { issuer: VSTOKEN_ISSUER, jwks_uri: `${new URL(VSTOKEN_ISSUER).origin}/.well-known/jwks`, response_types_supported: ["id_token"], subject_types_supported: ["public"], id_token_signing_alg_values_supported: ["RS256"] } })};`,
      `const jwks = ${JSON.stringify({ url: `${new URL(VSTOKEN_ISSUER).origin}/.well-known/jwks`, local: servers.jwksUri })};`,
      // And below https://dev.azure.com/acme/, the one host the task sends the job access token to,
      // the local servers answer: the OIDC token request and the Build API (services-route.cjs).
      `const route = require(${JSON.stringify(join(import.meta.dirname, "../test-fixtures/services-route.cjs"))}).routeServices(${JSON.stringify({ tokenUrl: servers.tokenUrl, apiOrigin: servers.azureOrigin })});`,
      "const realFetch = globalThis.fetch;",
      "globalThis.fetch = (input, init) => { const url = input instanceof Request ? input.url : String(input); return url === jwks.url ? realFetch(jwks.local) : url === discovery.url ? Promise.resolve(new Response(JSON.stringify(discovery.body), { headers: { 'content-type': 'application/json' } })) : route.fetch(input, init); };",
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

/** A job of https://dev.azure.com/acme/, as the agent describes it. */
function jobEnv(): Record<string, string> {
  return { ...AZURE_REPOS_CI_ENV };
}

/** The builder id of this organization's Microsoft-hosted pool, written out as a gate would. */
const HOSTED_BUILDER = "https://dev.azure.com/acme/_agents/microsoft-hosted";

function serversRequests(): Promise<ServersRequests> {
  const answer = new Promise<ServersRequests>((resolveAnswer) => serversWorker.once("message", resolveAnswer));
  serversWorker.postMessage("requests");
  return answer;
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
          inputs: { subjects: "*.tar.gz\n*.sbom.json", signingKeyFile: join(work, "signing.key"), bundlePath, workingDirectory: work },
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
      // So is the OIDC token the task requested with it: a JWT from the test issuer.
      const masked = attestRun.stdout.split("\n").flatMap((l) => (l.startsWith("##vso[task.setsecret]") ? [l.slice("##vso[task.setsecret]".length).trim()] : []));
      const idTokens = masked.filter((value) => {
        const payload = value.split(".")[1];
        if (value.split(".").length !== 3 || !payload) return false;
        try {
          return (JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { iss?: unknown }).iss === VSTOKEN_ISSUER;
        } catch {
          return false;
        }
      });
      expect(idTokens).toHaveLength(1);
      for (const secret of [servers.requestToken, idTokens[0]!]) {
        const leaks = attestRun.stdout.split("\n").filter((l) => l.includes(secret) && !l.startsWith("##vso[task.setsecret]"));
        expect(leaks).toEqual([]);
      }

      const bundle = parseBundle(JSON.parse(await readFile(bundlePath, "utf8")));
      expect(bundle.verificationMaterial.publicKey?.hint).toBe(keys.keyId);
      const publicKey = createPublicKey(keys.publicPem);
      const report = verify(bundle, {
        trustedKeys: [{ publicKey, keyId: keyIdOf(publicKey) }],
        artifactDigests: [{ sha256: createHash("sha256").update("the artifact\n").digest("hex") }],
        policy: { builderId: HOSTED_BUILDER, sourceBranch: "main", minimumLevel: 2 },
      });
      expect(report.checks.filter((c) => c.status === "fail")).toEqual([]);
      expect(report.slsaLevel.level).toBe(2);
      // In pattern order (*.tar.gz, then *.sbom.json), as the CLI lists them.
      expect(report.statement?.subject.map((s) => s.name)).toEqual(["app.tar.gz", "app.sbom.json"]);

      const verifyRun = await runTask(
        "ProvenantVerify",
        {
          inputs: {
            artifacts: "app.tar.gz",
            bundlePath,
            publicKeyFile: join(work, "signing.pub"),
            builderId: HOSTED_BUILDER,
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

  it("sends the job access token to no OIDC endpoint or collection the pipeline points the task at", async () => {
    // All a pipeline controls: the variables (here its own issuer's token endpoint and a collection URI on
    // the fake Azure DevOps, which would claim a hosted pool), and an issuer input (undeclared now, so ignored).
    const before = await serversRequests();
    const bundlePath = join(work, "foreign", "provenance.sigstore.json");
    const run = await runTask("ProvenantAttest", {
      inputs: { subjects: "app.tar.gz", signingKeyFile: join(work, "signing.key"), bundlePath, workingDirectory: work, tokenIssuer: servers.foreign.issuer },
      env: {
        ...jobEnv(),
        SYSTEM_COLLECTIONURI: `${servers.azureOrigin}/acme/`,
        SYSTEM_OIDCREQUESTURI: servers.foreign.tokenUrl,
        ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN: servers.requestToken,
      },
    });
    expect(run.errorIssues).toEqual([]);
    expect(outputVariable(run, "factsSource")).toBe("environment");
    expect(run.warningIssues.join("\n")).toMatch(/not an Azure DevOps Services organization/);
    const after = await serversRequests();
    for (const server of ["issuer", "foreign", "azure"] as const) {
      expect(after[server].slice(before[server].length), server).toEqual([]);
    }
    const statement = JSON.parse(Buffer.from(parseBundle(JSON.parse(await readFile(bundlePath, "utf8"))).dsseEnvelope!.payload, "base64").toString("utf8")) as {
      predicate: { runDetails: { builder: { id: string } } };
    };
    expect(statement.predicate.runDetails.builder.id).toBe(`${servers.azureOrigin}/acme/_agents/self-hosted`);
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

/** How the agent hands a task a Docker Registry service connection: its id as the input, its fields as variables. */
const CONNECTION = "3c1c2d0e-5b8f-4b7a-9e41-7f0d2a6c9b55";
function connectionEnv(registry: string, credentials: { username: string; password: string }): Record<string, string> {
  return {
    [`ENDPOINT_URL_${CONNECTION}`]: `http://${registry}`,
    [`ENDPOINT_DATA_${CONNECTION}_REGISTRYTYPE`]: "Others",
    [`ENDPOINT_AUTH_${CONNECTION}`]: JSON.stringify({ scheme: "UsernamePassword", parameters: { registry: `http://${registry}`, ...credentials } }),
    [`ENDPOINT_AUTH_SCHEME_${CONNECTION}`]: "UsernamePassword",
    [`ENDPOINT_AUTH_PARAMETER_${CONNECTION}_REGISTRY`]: `http://${registry}`,
    [`ENDPOINT_AUTH_PARAMETER_${CONNECTION}_USERNAME`]: credentials.username,
    [`ENDPOINT_AUTH_PARAMETER_${CONNECTION}_PASSWORD`]: credentials.password,
  };
}

/**
 * An Azure Container Registry connection as the agent hands it over: registry type ACR, and the
 * authorization parameters Docker@2 reads (loginServer, serviceprincipalid, serviceprincipalkey).
 */
function acrConnectionEnv(loginServer: string, scheme: string, principal?: { id: string; key: string }): Record<string, string> {
  const parameters = { loginServer, tenantid: "72f988bf-86f1-41af-91ab-2d7cd011db47", ...(principal && { serviceprincipalid: principal.id, serviceprincipalkey: principal.key }) };
  return {
    [`ENDPOINT_URL_${CONNECTION}`]: `https://${loginServer}`,
    [`ENDPOINT_DATA_${CONNECTION}_REGISTRYTYPE`]: "ACR",
    [`ENDPOINT_AUTH_${CONNECTION}`]: JSON.stringify({ scheme, parameters }),
    [`ENDPOINT_AUTH_SCHEME_${CONNECTION}`]: scheme,
    ...Object.fromEntries(Object.entries(parameters).map(([key, value]) => [`ENDPOINT_AUTH_PARAMETER_${CONNECTION}_${key.toUpperCase()}`, value])),
  };
}

// The registry is a process of its own (Debian's docker-registry), so it
// answers the task while the mock runner's spawnSync blocks this process.
describe("container images: ProvenantAttest@1 pushes to a real registry, ProvenantVerify@1 verifies from it", () => {
  let registry: TestRegistry;
  let image: LayoutImage;
  let credentials: { username: string; password: string };
  /** No docker config at all, so nothing on this machine answers for the registry. */
  let emptyDockerConfig: string;

  beforeAll(async () => {
    registry = await startRegistry({ basicAuth: true });
    credentials = registry.credentials!;
    image = await makeOciLayout("azure-pipelines-task");
    await skopeoCopy(image, registry, "acme/app");
    await skopeoCopy(image, registry, "acme/app-node20");
    await skopeoCopy(image, registry, "acme/app-dedupe");
    await skopeoCopy(await makeOciLayout("azure-pipelines-unattested"), registry, "acme/unattested");
    emptyDockerConfig = await mkdtemp(join(work, "docker-empty-"));
  }, 120_000);

  afterAll(async () => {
    await registry?.close();
    removeLayouts();
  });

  // A repository per handler, so each run's verify finds its own attestation first.
  for (const [nodeMajor, repository] of [
    [24, "acme/app"],
    [20, "acme/app-node20"],
  ] as const) {
    it(`attests an image by its manifest digest, pushes the bundle beside it with the service connection, and verifies it from the registry (Node ${nodeMajor} handler)`, async () => {
      const bundlePath = join(work, `out-image-node${nodeMajor}`, "provenance.sigstore.json");
      const attestRun = await runTask(
        "ProvenantAttest",
        {
          inputs: {
            images: `oci://${registry.host}/${repository}:${image.tag}`,
            pushToRegistry: "true",
            dockerRegistryServiceConnection: CONNECTION,
            signingKeyFile: join(work, "signing.key"),
            bundlePath,
            workingDirectory: work,
          },
          env: {
            ...jobEnv(),
            ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN: servers.requestToken,
            DOCKER_CONFIG: emptyDockerConfig,
            ...connectionEnv(registry.host, credentials),
          },
        },
        nodeMajor,
      );
      expect(attestRun.errorIssues).toEqual([]);
      expect(attestRun.succeeded).toBe(true);
      const bundle = parseBundle(JSON.parse(await readFile(bundlePath, "utf8")));
      const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope!.payload, "base64").toString("utf8")) as { subject: unknown[] };
      expect(statement.subject).toEqual([{ name: `${registry.host}/${repository}`, digest: { sha256: image.digest.slice("sha256:".length) } }]);

      // The connection's password is masked the agent's way and never printed in clear.
      expect(attestRun.stdout).toContain(`##vso[task.setsecret]${credentials.password}`);
      const leaks = attestRun.stdout.split("\n").filter((l) => l.includes(credentials.password) && !l.startsWith("##vso[task.setsecret]"));
      expect(leaks).toEqual([]);

      // The tag was resolved: the output names the image by the digest that was attested.
      const attested = `${registry.host}/${repository}@${image.digest}`;
      expect(outputVariable(attestRun, "imageDigests")).toBe(attested);
      const pushed = outputVariable(attestRun, "pushedAttestations") ?? "";
      expect(pushed).toMatch(new RegExp(`^${registry.host.replace(/\./g, "\\.")}/${repository}@sha256:[0-9a-f]{64}$`));
      const attestationDigest = pushed.slice(pushed.indexOf("@") + 1);
      // distribution 2.8 has no referrers API: skopeo, an independent client, finds the attestation in the tag index.
      const index = (await skopeoInspectRaw(registry, `${repository}:sha256-${image.digest.slice("sha256:".length)}`)) as {
        manifests: { digest: string; artifactType?: string }[];
      };
      expect(index.manifests).toContainEqual(expect.objectContaining({ digest: attestationDigest, artifactType: "application/vnd.dev.sigstore.bundle.v0.3+json" }));

      // The verify step logs in the other way: the docker config a Docker@2 login step leaves behind.
      const loggedIn = await mkdtemp(join(work, "docker-login-"));
      const auth = Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64");
      await writeFile(join(loggedIn, "config.json"), JSON.stringify({ auths: { [registry.host]: { auth } } }));
      // As the example does: verify the digest the attest step output, not the tag, and deploy the digest verify outputs.
      const verifyInputs = {
        image: attested,
        publicKeyFile: join(work, "signing.pub"),
        builderId: HOSTED_BUILDER,
        sourceBranch: "main",
        minimumSlsaLevel: "2",
        workingDirectory: work,
      };
      const verifyRun = await runTask("ProvenantVerify", { inputs: verifyInputs, env: { DOCKER_CONFIG: loggedIn } }, nodeMajor);
      expect(verifyRun.errorIssues).toEqual([]);
      expect(verifyRun.succeeded).toBe(true);
      expect(outputVariable(verifyRun, "verified")).toBe("true");
      expect(outputVariable(verifyRun, "slsaLevel")).toBe("2");
      expect(outputVariable(verifyRun, "attestation")).toBe(attestationDigest);
      expect(outputVariable(verifyRun, "imageDigest")).toBe(attested);

      // By tag, the output still names the digest; and an image that fails the policy is not named at all.
      const byTag = await runTask("ProvenantVerify", { inputs: { ...verifyInputs, image: `${registry.host}/${repository}:${image.tag}` }, env: { DOCKER_CONFIG: loggedIn } }, nodeMajor);
      expect(outputVariable(byTag, "imageDigest")).toBe(attested);
      const denied = await runTask("ProvenantVerify", { inputs: { ...verifyInputs, sourceBranch: "release/*" }, env: { DOCKER_CONFIG: loggedIn } }, nodeMajor);
      expect(denied.succeeded).toBe(false);
      expect(outputVariable(denied, "verified")).toBe("false");
      expect(outputVariable(denied, "imageDigest")).toBeUndefined();

      // The same image gated by a policy file: the registry's attestations are the evidence, the image the artifact.
      const imagePolicy = async (name: string, branch: string) => {
        const path = join(work, `${name}-node${nodeMajor}.policy.json`);
        const rule = { name: "app images", match: { images: [`${registry.host}/${repository}`] }, provenance: { branches: [branch], minimumLevel: 2 } };
        await writeFile(path, JSON.stringify({ apiVersion: "provenant.dev/v1", kind: "Policy", metadata: { name }, trust: { keys: [{ name: "ci", file: "signing.pub" }] }, rules: [rule] }));
        return path;
      };
      const policyInputs = { image: `${registry.host}/${repository}:${image.tag}`, workingDirectory: work };
      const allowed = await runTask("ProvenantVerify", { inputs: { ...policyInputs, policy: await imagePolicy("main-images", "main") }, env: { DOCKER_CONFIG: loggedIn } }, nodeMajor);
      expect(allowed.errorIssues).toEqual([]);
      expect(allowed.succeeded).toBe(true);
      expect(allowed.stdout).toContain(`artifact ${registry.host}/${repository}:${image.tag}@${image.digest}`);
      expect(allowed.stdout).toMatch(/PASS {2}rule app images/);
      expect(outputVariable(allowed, "imageDigest")).toBe(attested);
      const refused = await runTask("ProvenantVerify", { inputs: { ...policyInputs, policy: await imagePolicy("release-images", "release/*") }, env: { DOCKER_CONFIG: loggedIn } }, nodeMajor);
      expect(refused.succeeded).toBe(false);
      expect(refused.errorIssues).toEqual([expect.stringMatching(/^POLICY_DENIED: policy .*release-images-node\d+\.policy\.json denies /)]);
      expect(outputVariable(refused, "imageDigest")).toBeUndefined();
      const mixed = await runTask("ProvenantVerify", { inputs: { ...policyInputs, artifacts: "app.tar.gz", policy: await imagePolicy("mixed-images", "main") }, env: { DOCKER_CONFIG: loggedIn } }, nodeMajor);
      expect(mixed.errorIssues).toEqual([expect.stringContaining("leave out artifacts and bundlePath")]);
    }, 180_000);
  }

  it("sends a connection's credentials to its own registry only, so an image elsewhere is refused by the registry", async () => {
    const run = await runTask("ProvenantAttest", {
      inputs: {
        images: `${registry.host}/acme/app:${image.tag}`,
        pushToRegistry: "true",
        dockerRegistryServiceConnection: CONNECTION,
        bundlePath: join(work, "never-image.json"),
        workingDirectory: work,
      },
      env: { ...jobEnv(), SYSTEM_OIDCREQUESTURI: "", PROVENANT_SIGNING_KEY: keys.privatePem, DOCKER_CONFIG: emptyDockerConfig, ...connectionEnv("registry.example.com", credentials) },
    });
    expect(run.succeeded).toBe(false);
    expect(run.errorIssues).toEqual([expect.stringMatching(/^IO_ERROR: .* requires authentication and no credentials were found for 127\.0\.0\.1:/)]);
    await expect(readFile(join(work, "never-image.json"))).rejects.toThrow();
  }, 120_000);

  it("fails verification of an image with no attestation beside it, with a coded error", async () => {
    const run = await runTask("ProvenantVerify", {
      inputs: { image: `oci://${registry.host}/acme/unattested:1.0`, dockerRegistryServiceConnection: CONNECTION, publicKey: keys.publicPem, workingDirectory: work },
      env: { DOCKER_CONFIG: emptyDockerConfig, ...connectionEnv(registry.host, credentials) },
    });
    expect(run.succeeded).toBe(false);
    expect(outputVariable(run, "verified")).toBe("false");
    expect(run.errorIssues).toEqual([expect.stringMatching(/^NO_SUBJECTS_MATCHED: no readable attestation is stored beside /)]);
  }, 120_000);

  it("reads an Azure Container Registry connection's service principal as the registry's user name and password", async () => {
    const principal = { id: credentials.username, key: credentials.password };
    const run = await runTask("ProvenantVerify", {
      inputs: { image: `${registry.host}/acme/unattested:1.0`, dockerRegistryServiceConnection: CONNECTION, publicKey: keys.publicPem, workingDirectory: work },
      env: { DOCKER_CONFIG: emptyDockerConfig, ...acrConnectionEnv(registry.host, "ServicePrincipal", principal) },
    });
    // Past the registry's authentication (without credentials it answers 401, as the test above shows) to the attestation lookup.
    expect(run.errorIssues).toEqual([expect.stringMatching(/^NO_SUBJECTS_MATCHED: /)]);
    expect(run.stdout).toContain(`##vso[task.setsecret]${principal.key}`);
    expect(run.stdout.split("\n").filter((l) => l.includes(principal.key) && !l.startsWith("##vso[task.setsecret]"))).toEqual([]);

    for (const scheme of ["ManagedServiceIdentity", "WorkloadIdentityFederation"]) {
      const keyless = await runTask("ProvenantVerify", {
        inputs: { image: `${registry.host}/acme/unattested:1.0`, dockerRegistryServiceConnection: CONNECTION, publicKey: keys.publicPem, workingDirectory: work },
        env: { DOCKER_CONFIG: emptyDockerConfig, ...acrConnectionEnv(registry.host, scheme) },
      });
      expect(keyless.errorIssues).toEqual([expect.stringMatching(new RegExp(`^USAGE: dockerRegistryServiceConnection: an Azure Container Registry connection of the ${scheme} kind holds no registry password`))]);
    }
  }, 120_000);

  it("attests and pushes once an image named both in images and as an oci:// subject, by tag and by digest", async () => {
    const result = await runAttestTask(
      {
        subjectPatterns: [`oci://${registry.host}/acme/app-dedupe@${image.digest}`],
        images: [`${registry.host}/acme/app-dedupe:${image.tag}`, `oci://${registry.host}/acme/app-dedupe:${image.tag}`],
        pushToRegistry: true,
        registryConnection: { registry: registry.host, ...credentials },
        workingDirectory: work,
        bundlePath: join(work, "out-dedupe", "provenance.sigstore.json"),
        environment: { ...jobEnv(), SYSTEM_OIDCREQUESTURI: undefined, PROVENANT_SIGNING_KEY: keys.privatePem, DOCKER_CONFIG: emptyDockerConfig, HOME: emptyDockerConfig },
      },
      { log() {}, warn() {}, fetch: globalThis.fetch, now: () => new Date() },
    );
    const attested = `${registry.host}/acme/app-dedupe@${image.digest}`;
    expect(result.subjects).toEqual([{ name: `${registry.host}/acme/app-dedupe`, digest: { sha256: image.digest.slice("sha256:".length) } }]);
    expect(result.imageDigests).toEqual([attested]);
    expect(result.pushed).toHaveLength(1);
    const index = (await skopeoInspectRaw(registry, `acme/app-dedupe:sha256-${image.digest.slice("sha256:".length)}`)) as { manifests: unknown[] };
    expect(index.manifests).toHaveLength(1);
  }, 120_000);

  it("refuses pushToRegistry without an image, before reading the key", async () => {
    await expect(
      runAttestTask(
        { subjectPatterns: ["app.tar.gz"], images: [], pushToRegistry: true, workingDirectory: work, bundlePath: "never.json", environment: {} },
        { log() {}, warn() {}, fetch: globalThis.fetch, now: () => new Date() },
      ),
    ).rejects.toMatchObject({ code: "USAGE" });
  });
});
