import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { FACTS_SOURCE_FIELD, generateKeyPair, PLATFORM_HARDENED_FIELD, parseBundle, parseProvenance, parseStatement, type Provenance } from "@provenant/core";
import { startTestIssuer, type TestIssuer } from "@provenant/oidc/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CURRENT_RECIPE } from "../test-fixtures/claim-recipes.js";
import { COMMIT, multibranch } from "../test-fixtures/environments.js";
import { CLI, requireTools, runStepCases, type StepResult, stepCalls } from "../test-fixtures/groovy-stub.js";
import { expandClaimTemplates } from "../test-fixtures/oidc-provider-plugin.js";
import { type RunningServer, startProvenantServer } from "../test-fixtures/provenant-server.js";

// provenantAttest(server:, credentialsId:) and provenantVerify(policy:)
// through the pipeline stub: argument handling, and end to end — two
// controllers' OIDC issuers (local, at <JENKINS_URL>oidc) signing the claims
// the documented templates give a multibranch build, trusted by a real
// `provenant server` over HTTP (one controller declared hardened), the
// built CLI in a real shell, then `provenant verify --service-key` and a
// policy file deciding the level.

const SERVICE = "https://provenant.example.com";
const JENKINSFILE = resolve(dirname(fileURLToPath(import.meta.url)), "../../../../examples/jenkins/Jenkinsfile.signing-service");
const SIGNING_KEY_ID = "provenant-signing-key";
/** What only the environment has; left out so both paths see the same facts (from-claims.test.ts shows the rest). */
const VARIABLES_ONLY = ["BUILD_ID", "BUILD_TAG", "NODE_NAME", "EXECUTOR_NUMBER"];

let results: Map<string, StepResult>;
let scratch: string;
let workspace: string;
let controller: TestIssuer;
let hardenedController: TestIssuer;
let server: RunningServer;
let unreachable: string;
let jenkinsfileCalls: string[];

function result(name: string): StepResult {
  const found = results.get(name);
  if (!found) throw new Error(`no result for case ${name}`);
  return found;
}
const calls = (name: string, step: string) => result(name).calls.filter((call) => call.step === step);
const shOutput = (name: string) => {
  const sh = calls(name, "sh")[0];
  return `${sh?.stdout ?? ""}\n${sh?.stderr ?? ""}`;
};

/** A multibranch build of acme/app on main, on the controller at `controllerUrl`. */
function buildOn(controllerUrl: string, jobPath = "job/acme/job/app/job/main/"): Record<string, string> {
  const jobUrl = `${controllerUrl}${jobPath}`;
  const base = Object.fromEntries(Object.entries(multibranch).filter(([name]) => !VARIABLES_ONLY.includes(name)));
  return { ...base, JENKINS_URL: controllerUrl, JOB_URL: jobUrl, BUILD_URL: `${jobUrl}42/`, WORKSPACE: workspace };
}

/** The ID token the OIDC Provider plugin would bind for that build (a new jti each time). */
async function tokenFor(issuer: TestIssuer, env: Record<string, string>): Promise<string> {
  return issuer.sign(expandClaimTemplates({ build: CURRENT_RECIPE }, env, "optional"));
}

function provenanceIn(bundle: string): Promise<Provenance> {
  return readFile(join(workspace, bundle), "utf8").then((text) => {
    const envelope = parseBundle(JSON.parse(text)).dsseEnvelope!;
    return parseProvenance(parseStatement(JSON.parse(Buffer.from(envelope.payload, "base64").toString("utf8"))).predicate);
  });
}

async function cliVerify(args: string[]) {
  return promisify(execFile)(process.execPath, [CLI, "verify", ...args], { cwd: workspace }).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? -1, stdout: `${error.stdout}${error.stderr}` }),
  );
}

beforeAll(async () => {
  requireTools();
  scratch = await mkdtemp(join(tmpdir(), "provenant-jenkins-service-"));
  workspace = join(scratch, "workspace");
  await mkdir(join(workspace, "dist"), { recursive: true });
  await writeFile(join(workspace, "dist", "app-1.0.tgz"), "the artifact\n");
  // As in library.test.ts: an `rm` that only leaves a mark, and a scratch HOME.
  const guard = join(scratch, "guard-bin");
  await mkdir(guard);
  await writeFile(join(guard, "rm"), `#!/bin/sh\nexec touch '${join(scratch, "rm-was-called")}'\n`, { mode: 0o755 });
  const sandbox = { path: `${guard}:${process.env.PATH}`, home: join(scratch, "home") };
  await mkdir(sandbox.home);

  [controller, hardenedController] = await Promise.all([startTestIssuer({ pathPrefix: "/oidc" }), startTestIssuer({ pathPrefix: "/oidc" })]);
  const trusted = { platform: "jenkins", audiences: ["provenant"], repositories: ["acme/**"] };
  server = await startProvenantServer(join(scratch, "server-data"), {
    trustedIssuers: [
      { ...trusted, issuer: controller.issuer },
      { ...trusted, issuer: hardenedController.issuer, hardened: true },
    ],
  });
  // A port nothing listens on: one a server held and has given back.
  const gone = await startProvenantServer(join(scratch, "gone-data"), { trustedIssuers: [] });
  unreachable = gone.url;
  await gone.stop();

  const env = buildOn(`${controller.url}/`);
  const hardenedEnv = buildOn(`${hardenedController.url}/`);
  const otherJobEnv = buildOn(`${controller.url}/`, "job/other/job/app/job/main/");
  const keys = generateKeyPair("ecdsa-p256");
  const policy = (level: number) =>
    [
      "apiVersion: provenant.dev/v1",
      "kind: Policy",
      "metadata: { name: jenkins-release }",
      "trust:",
      "  keys:",
      "    - name: provenant-service",
      `      file: ${JSON.stringify(server.servicePublicKey)}`,
      "      service: true",
      "rules:",
      "  - name: app tarballs",
      '    match: { artifacts: ["dist/*.tgz"] }',
      "    provenance:",
      "      signers: { keys: [provenant-service] }",
      `      builderIds: [${JSON.stringify(`${controller.url}/`)}, ${JSON.stringify(`${hardenedController.url}/`)}]`,
      '      sourceUris: ["github.com/acme/app"]',
      "      branches: [main]",
      `      minimumLevel: ${level}`,
      "",
    ].join("\n");
  await writeFile(join(workspace, "release-policy.yaml"), policy(3));

  const inWorkspace = { execute: true, ...sandbox, cwd: workspace };
  const unit = { env: { BRANCH_NAME: "main" }, credentials: { "jenkins-oidc": "TOKEN", [SIGNING_KEY_ID]: "PEM" } };
  const serviceReport = JSON.stringify({ bundle: "/var/jenkins/workspace/app/provenance.sigstore.json", logIndex: 7, subjects: 1 });
  const cases: Record<string, unknown>[] = [
    {
      ...unit,
      name: "service attest",
      step: "provenantAttest",
      cliStdout: serviceReport,
      config: { subjects: ["dist/app.tgz", "$(touch pwned)"], server: SERVICE, credentialsId: "jenkins-oidc" },
    },
    { ...unit, name: "service attest with a key as well", step: "provenantAttest", config: { subjects: "d", server: SERVICE, credentialsId: "jenkins-oidc", keyCredentialsId: SIGNING_KEY_ID } },
    { ...unit, name: "service attest without credentialsId", step: "provenantAttest", config: { subjects: "d", server: SERVICE } },
    { ...unit, name: "service attest with no URL", step: "provenantAttest", config: { subjects: "d", server: "provenant.example.com", credentialsId: "jenkins-oidc" } },
    { ...unit, name: "service attest with an empty server", step: "provenantAttest", config: { subjects: "d", server: "", keyCredentialsId: SIGNING_KEY_ID } },
    { ...unit, name: "credentialsId without server", step: "provenantAttest", config: { subjects: "d", credentialsId: "jenkins-oidc", keyCredentialsId: SIGNING_KEY_ID } },
    { ...unit, name: "service attest failing", step: "provenantAttest", shStatus: 2, config: { subjects: "d", server: SERVICE, credentialsId: "jenkins-oidc" } },
    {
      ...unit,
      name: "policy verify",
      step: "provenantVerify",
      config: { policy: "policies/release.yaml", artifacts: ["dist/app.tgz"], evidence: ["tests.sigstore.json", "scan.sigstore.json"], cliPath: "/opt/provenant.mjs" },
    },
    { ...unit, name: "policy verify with a key as well", step: "provenantVerify", config: { policy: "p.yaml", artifacts: "a", publicKey: "k.pub", slsaLevel: 2 } },
    { ...unit, name: "policy verify without artifacts", step: "provenantVerify", config: { policy: "p.yaml" } },
    { ...unit, name: "policy verify of an image and artifacts", step: "provenantVerify", config: { policy: "p.yaml", artifacts: "a", image: "registry.example.com/acme/app:1" } },
    {
      ...unit,
      name: "policy verify of an image",
      step: "provenantVerify",
      credentials: { registry: "ci-bot:pw" },
      config: { policy: "p.yaml", image: "registry.example.com:5000/acme/app:1", registryCredentialsId: "registry", insecureRegistry: "registry.example.com:5000", evidence: "scan.json" },
    },
    { ...unit, name: "policy verify denied", step: "provenantVerify", shStatus: 1, config: { policy: "p.yaml", artifacts: "a" } },
    { ...unit, name: "verify with a service key", step: "provenantVerify", config: { artifacts: "a", serviceKey: "keys/service.pub", builderId: "https://ci.example.com/", slsaLevel: 3 } },
    // End to end: the built CLI, the real server over HTTP.
    {
      name: "e2e service attest",
      step: "provenantAttest",
      ...inWorkspace,
      env,
      credentials: { "jenkins-oidc": await tokenFor(controller, env) },
      config: { subjects: "dist/*.tgz", server: server.url, credentialsId: "jenkins-oidc", bundle: "service.sigstore.json", cliPath: CLI },
    },
    {
      name: "e2e local attest of the same build",
      step: "provenantAttest",
      ...inWorkspace,
      env,
      credentials: { "jenkins-oidc": await tokenFor(controller, env), [SIGNING_KEY_ID]: keys.privateKeyPem },
      config: { subjects: "dist/*.tgz", keyCredentialsId: SIGNING_KEY_ID, idTokenCredentialsId: "jenkins-oidc", bundle: "local.sigstore.json", cliPath: CLI },
    },
    {
      name: "e2e service attest on the hardened controller",
      step: "provenantAttest",
      ...inWorkspace,
      env: hardenedEnv,
      credentials: { "jenkins-oidc": await tokenFor(hardenedController, hardenedEnv) },
      config: { subjects: "dist/*.tgz", server: server.url, credentialsId: "jenkins-oidc", bundle: "hardened.sigstore.json", cliPath: CLI },
    },
    {
      name: "e2e service attest for a job the issuer may not sign for",
      step: "provenantAttest",
      ...inWorkspace,
      env: otherJobEnv,
      credentials: { "jenkins-oidc": await tokenFor(controller, otherJobEnv) },
      config: { subjects: "dist/*.tgz", server: server.url, credentialsId: "jenkins-oidc", bundle: "refused.sigstore.json", cliPath: CLI },
    },
    {
      name: "e2e service attest with the server down",
      step: "provenantAttest",
      ...inWorkspace,
      env,
      credentials: { "jenkins-oidc": await tokenFor(controller, env) },
      config: { subjects: "dist/*.tgz", server: unreachable, credentialsId: "jenkins-oidc", bundle: "unreachable.sigstore.json", cliPath: CLI },
    },
    {
      name: "e2e policy verify of the hardened controller's bundle",
      step: "provenantVerify",
      ...inWorkspace,
      env: hardenedEnv,
      config: { policy: "release-policy.yaml", artifacts: "dist/app-1.0.tgz", bundle: "hardened.sigstore.json", cliPath: CLI },
    },
    {
      name: "e2e policy verify of the other controller's bundle",
      step: "provenantVerify",
      ...inWorkspace,
      env,
      config: { policy: "release-policy.yaml", artifacts: "dist/app-1.0.tgz", bundle: "service.sigstore.json", cliPath: CLI },
    },
  ];
  // The example's own calls, run as written with the steps, env and findFiles bound.
  jenkinsfileCalls = stepCalls(await readFile(JENKINSFILE, "utf8"));
  cases.push(
    ...jenkinsfileCalls.map((script, i) => ({
      name: `Jenkinsfile call ${i}`,
      step: "",
      script,
      anyCredentials: true,
      files: ["dist/app-1.0.0.tgz"],
      cliStdout: serviceReport,
      env: { JENKINS_URL: "https://ci.example.com/", BUILD_NUMBER: "42" },
    })),
  );
  results = await runStepCases(cases, join(scratch, "cases.json"));
});

afterAll(async () => {
  await server?.stop();
  await controller?.close();
  await hardenedController?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

const argVariables = (args: string[]) => args.map((arg, i) => `PROVENANT_ARG_${i}=${arg}`);

describe("provenantAttest(server:, credentialsId:)", () => {
  it("binds the id token credential to a variable and runs attest --server over quoted variables; no key anywhere", () => {
    const run = result("service attest");
    expect(run.error).toBeUndefined();
    expect(run.calls.map((call) => call.step)).toEqual(["pwd", "withEnv", "withCredentials", "sh", "readFile", "echo", "archiveArtifacts"]);
    const variables = calls("service attest", "withEnv")[0]?.variables as string[];
    expect(variables.slice(0, 13)).toEqual(
      argVariables(["provenant", "attest", "--platform", "jenkins", "--server", SERVICE, "--token-variable", "PROVENANT_ID_TOKEN", "--bundle", "provenance.sigstore.json", "--json"]).concat(
        ["PROVENANT_SUBJECT_0=dist/app.tgz", "PROVENANT_SUBJECT_1=$(touch pwned)"],
      ),
    );
    expect(calls("service attest", "withCredentials")[0]?.bindings).toEqual([{ $class: "StringBinding", credentialsId: "jenkins-oidc", variable: "PROVENANT_ID_TOKEN" }]);
    const script = String(calls("service attest", "sh")[0]?.script);
    expect(script).toBe(
      `${Array.from({ length: 11 }, (_, i) => `"$PROVENANT_ARG_${i}"`).join(" ")} -- "$PROVENANT_SUBJECT_0" "$PROVENANT_SUBJECT_1" > "$PROVENANT_RESULT_FILE"`,
    );
    expect(script).not.toContain("--key");
    expect(run.returned).toEqual({ bundle: "provenance.sigstore.json", server: SERVICE, logIndex: 7, subjectCount: 1 });
    expect(calls("service attest", "echo")[0]?.message).toContain(`the signing service at ${SERVICE} signed provenance for 1 subject(s)`);
  });

  it("refuses a key beside server, server without credentialsId or a URL, and credentialsId without server", () => {
    expect(result("service attest with a key as well").error).toContain("keyCredentialsId");
    expect(result("service attest without credentialsId").error).toContain("server needs credentialsId");
    expect(result("service attest with no URL").error).toContain("expected the signing service's URL");
    // An empty server is a mistake, not a request to sign with the key beside it.
    expect(result("service attest with an empty server").error).toContain("keyCredentialsId");
    expect(result("credentialsId without server").error).toContain("credentialsId (the OpenID Connect id token for the signing service) goes with server");
    for (const name of ["service attest with a key as well", "service attest without credentialsId", "service attest with no URL", "credentialsId without server"]) {
      expect(calls(name, "sh")).toEqual([]);
    }
  });

  it("fails the build when the service does not sign, saying nothing else signed", () => {
    expect(result("service attest failing").error).toMatch(/the signing service at https:\/\/provenant\.example\.com did not sign .*exit code 2.*nothing was signed with any other key/);
    expect(calls("service attest failing", "archiveArtifacts")).toEqual([]);
  });
});

describe("provenantVerify(policy:)", () => {
  it("runs verify --policy with the artifacts and evidence as quoted variables", () => {
    const run = result("policy verify");
    expect(run.error).toBeUndefined();
    expect(calls("policy verify", "withEnv")[0]?.variables).toEqual([
      ...argVariables(["node", "/opt/provenant.mjs", "verify", "--policy", "policies/release.yaml", "--bundle", "provenance.sigstore.json", "--evidence", "tests.sigstore.json", "--evidence", "scan.sigstore.json"]),
      "PROVENANT_ARTIFACT_0=dist/app.tgz",
    ]);
    expect(calls("policy verify", "sh")[0]?.script).toBe(`${Array.from({ length: 11 }, (_, i) => `"$PROVENANT_ARG_${i}"`).join(" ")} -- "$PROVENANT_ARTIFACT_0"`);
  });

  it("refuses keys and rule flags beside a policy, and a policy without artifacts", () => {
    expect(result("policy verify with a key as well").error).toMatch(/the policy file names the trusted keys and the rules.*publicKey, slsaLevel/);
    expect(result("policy verify without artifacts").error).toContain("policy needs artifacts or image");
    expect(result("policy verify of an image and artifacts").error).toContain("give image without artifacts or bundle");
    expect(calls("policy verify with a key as well", "sh")).toEqual([]);
  });

  it("runs verify --policy --image with the registry credential bound for that registry only", () => {
    expect(result("policy verify of an image").error).toBeUndefined();
    const withEnv = calls("policy verify of an image", "withEnv")[0]?.variables as string[];
    expect(withEnv.filter((v) => v.startsWith("PROVENANT_ARG_")).map((v) => v.replace(/^PROVENANT_ARG_\d+=/, ""))).toEqual([
      "provenant", "verify", "--policy", "p.yaml", "--image", "registry.example.com:5000/acme/app:1",
      "--insecure-registry", "registry.example.com:5000", "--evidence", "scan.json",
    ]);
    expect(withEnv).toContain("PROVENANT_REGISTRY_HOSTS=registry.example.com:5000");
    expect(calls("policy verify of an image", "withCredentials")[0]?.bindings).toEqual([
      expect.objectContaining({ credentialsId: "registry", usernameVariable: "PROVENANT_REGISTRY_USERNAME", passwordVariable: "PROVENANT_REGISTRY_PASSWORD" }),
    ]);
    expect(calls("policy verify of an image", "sh")[0]?.script).not.toContain(" -- ");
  });

  it("fails the build when the policy denies", () => {
    expect(result("policy verify denied").error).toBe("provenantVerify: a denied by policy p.yaml (see each rule's decision above)");
  });

  it("passes a service key as --service-key in flag mode", () => {
    const variables = calls("verify with a service key", "withEnv")[0]?.variables as string[];
    expect(variables).toEqual(expect.arrayContaining(["PROVENANT_ARG_4=--service-key", "PROVENANT_ARG_5=keys/service.pub"]));
  });
});

describe("the example Jenkinsfile.signing-service", () => {
  const argv = (i: number) => ((calls(`Jenkinsfile call ${i}`, "withEnv")[0]?.variables ?? []) as string[]).map((v) => v.slice(v.indexOf("=") + 1));
  it("attests through the service and verifies with a policy, with options the steps accept", () => {
    expect(jenkinsfileCalls.map((call) => call.slice(0, call.indexOf("(")))).toEqual(["provenantAttest", "provenantVerify"]);
    jenkinsfileCalls.forEach((_, i) => {
      expect(result(`Jenkinsfile call ${i}`).error, jenkinsfileCalls[i]).toBeUndefined();
      expect(calls(`Jenkinsfile call ${i}`, "sh")).toHaveLength(1);
    });
    expect(argv(0)).toEqual(expect.arrayContaining(["--server", SERVICE]));
    expect(argv(0).join(" ")).not.toContain("--key");
    expect(argv(1)).toEqual(expect.arrayContaining(["--policy", "release-policy.yaml", "dist/app-1.0.0.tgz"]));
  });
});

describe("end to end: the signing service signs a Jenkins build", () => {
  it("signs from the job's token; verify --service-key reports L2 for a controller not declared hardened", async () => {
    const run = result("e2e service attest");
    expect(run.error, shOutput("e2e service attest")).toBeUndefined();
    expect(run.returned).toMatchObject({ bundle: "service.sigstore.json", server: server.url, subjectCount: 1 });
    const provenance = await provenanceIn("service.sigstore.json");
    expect(provenance.runDetails.metadata?.[FACTS_SOURCE_FIELD]).toBe("service-oidc-token");
    expect(provenance.runDetails.builder.id).toBe(`${controller.url}/`);
    const common = ["dist/app-1.0.tgz", "-b", "service.sigstore.json", "--service-key", server.servicePublicKey, "--builder-id", `${controller.url}/`];
    const atL2 = await cliVerify([...common, "--source-uri", "github.com/acme/app", "--source-branch", "main", "--slsa-level", "2"]);
    expect(atL2.stdout).toMatch(/SLSA Build L2/);
    expect(atL2.stdout).toContain("did not declare it hardened");
    expect(atL2.code).toBe(0);
    expect((await cliVerify([...common, "--slsa-level", "3"])).code).toBe(1);
  });

  it("writes the same buildDefinition and runDetails as the local path for the same claims, apart from the facts source", async () => {
    expect(result("e2e local attest of the same build").error, shOutput("e2e local attest of the same build")).toBeUndefined();
    const [service, local] = await Promise.all([provenanceIn("service.sigstore.json"), provenanceIn("local.sigstore.json")]);
    expect(local.runDetails.metadata?.[FACTS_SOURCE_FIELD]).toBe("oidc-token");
    expect(service.buildDefinition).toEqual(local.buildDefinition);
    const withoutSource = (p: Provenance) => ({ ...p.runDetails, metadata: { ...p.runDetails.metadata, [FACTS_SOURCE_FIELD]: undefined } });
    expect(withoutSource(service)).toEqual(withoutSource(local));
    expect(service.buildDefinition.resolvedDependencies?.[0]).toEqual({ uri: "git+https://github.com/acme/app@refs/heads/main", digest: { gitCommit: COMMIT } });
  });

  it("on a controller the operator declared hardened: L3 with --service-key, never with the same key as a user key", async () => {
    const run = result("e2e service attest on the hardened controller");
    expect(run.error, shOutput("e2e service attest on the hardened controller")).toBeUndefined();
    const provenance = await provenanceIn("hardened.sigstore.json");
    expect(provenance.runDetails.metadata?.[PLATFORM_HARDENED_FIELD]).toBe(true);
    const common = ["dist/app-1.0.tgz", "-b", "hardened.sigstore.json", "--builder-id", `${hardenedController.url}/`, "--slsa-level", "3"];
    const asService = await cliVerify([...common, "--service-key", server.servicePublicKey]);
    expect(asService.stdout).toMatch(/SLSA Build L3/);
    expect(asService.code).toBe(0);
    expect((await cliVerify([...common, "--key", server.servicePublicKey])).code).toBe(1);
  });

  it("provenantVerify(policy:) prints each rule's decision and passes the hardened controller's bundle at L3", () => {
    const run = result("e2e policy verify of the hardened controller's bundle");
    const output = shOutput("e2e policy verify of the hardened controller's bundle");
    expect(run.error, output).toBeUndefined();
    expect(output).toMatch(/PASS {2}rule app tarballs/);
    expect(output).toMatch(/SLSA Build L3/);
    expect(output).toContain("ALLOWED");
  });

  it("provenantVerify(policy:) fails the build for the other controller's bundle, saying the level is why", () => {
    const run = result("e2e policy verify of the other controller's bundle");
    const output = shOutput("e2e policy verify of the other controller's bundle");
    expect(run.error, output).toBe("provenantVerify: dist/app-1.0.tgz denied by policy release-policy.yaml (see each rule's decision above)");
    expect(output).toMatch(/FAIL {2}rule app tarballs/);
    expect(output).toContain("DENIED");
    expect(output).toContain("SLSA Build L2");
  });

  it("refuses a job the issuer may not sign for: the step fails with the service's code and no bundle is written", () => {
    const run = result("e2e service attest for a job the issuer may not sign for");
    expect(run.error).toContain("did not sign");
    expect(shOutput("e2e service attest for a job the issuer may not sign for")).toContain("REPOSITORY_NOT_ALLOWED");
    expect(existsSync(join(workspace, "refused.sigstore.json"))).toBe(false);
  });

  it("fails clearly when the service cannot be reached, and writes no bundle", () => {
    const run = result("e2e service attest with the server down");
    expect(run.error).toContain(`the signing service at ${unreachable} did not sign`);
    expect(shOutput("e2e service attest with the server down")).toMatch(/cannot reach/);
    expect(existsSync(join(workspace, "unreachable.sigstore.json"))).toBe(false);
    expect(existsSync(join(scratch, "rm-was-called"))).toBe(false);
  });
});
