import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { generateKeyPair, parseBundle, parseProvenance, parseStatement, sourceOf } from "@provenant/core";
import { type LayoutImage, makeOciLayout, removeLayouts, skopeoCopy, skopeoInspectRaw, startRegistry, type TestRegistry } from "@provenant/oci/testing";
import { startTestIssuer, type TestIssuer } from "@provenant/oidc/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMMIT, multibranch } from "../test-fixtures/environments.js";
import { CLI, requireTools, runStepCases, type StepResult, stepCalls } from "../test-fixtures/groovy-stub.js";

const here = dirname(fileURLToPath(import.meta.url));
const JENKINSFILE = resolve(here, "../../../../examples/jenkins/Jenkinsfile");

// Prints what the CLI would receive, so the tests see argv exactly as sh passed it.
const ARGV_PRINTER = ["node", "-e", "console.log(JSON.stringify({ argv: process.argv.slice(1), GIT_BRANCH: process.env.GIT_BRANCH }))"];
const HOSTILE = ["main; rm -rf /", "$(id)", "`touch pwned`", "dist/a b.tgz", "$(touch pwned-too)"];
const SIGNING_KEY_ID = "provenant-signing-key";
const IMAGE_DIGEST = `sha256:${"ab".repeat(32)}`;
const ATTESTATION_DIGEST = `sha256:${"cd".repeat(32)}`;
// The shape of `provenant attest --json` (packages/cli/src/commands/attest.ts).
const ATTEST_REPORT = {
  platform: "jenkins",
  bundle: "/var/jenkins/workspace/app/provenance.sigstore.json",
  keyId: "0f".repeat(32),
  subjects: [{ name: "dist/app-1.0.tgz", digest: { sha256: "12".repeat(32) } }],
};
const PUSH_REPORT = {
  ...ATTEST_REPORT,
  subjects: [{ name: "registry.example.com:5000/acme/app", digest: { sha256: IMAGE_DIGEST.slice(7) } }],
  pushed: [{ image: `registry.example.com:5000/acme/app@${IMAGE_DIGEST}`, attestation: ATTESTATION_DIGEST, via: "referrers-tag" }],
};
// References a Jenkins-side expansion would resolve: SECRET stands for a
// variable an enclosing withCredentials bound; "" is a value withEnv unsets.
const SECRET_VALUE = "s3cret-from-an-enclosing-withCredentials";
const SECRET_REFERENCE = "$" + "{SECRET}";
const DOLLARS = ["$HOME", SECRET_REFERENCE, "$$", "$SECRET/x", "$" + "{HOME}/y", ""];

let results: Map<string, StepResult>;
let workspace: string;
let scratch: string;
let issuer: TestIssuer;
let foreignIssuer: TestIssuer;
let registry: TestRegistry;
let image: LayoutImage;
let jenkinsEnv: Record<string, string>;
let jenkinsfileCalls: string[];

function result(name: string): StepResult {
  const found = results.get(name);
  if (!found) throw new Error(`no result for case ${name}`);
  return found;
}
const calls = (name: string, step: string) => result(name).calls.filter((call) => call.step === step);

beforeAll(async () => {
  requireTools();
  scratch = await mkdtemp(join(tmpdir(), "provenant-jenkins-library-"));
  workspace = join(scratch, "workspace");
  await mkdir(join(workspace, "dist"), { recursive: true });
  await writeFile(join(workspace, "dist", "app-1.0.tgz"), "the artifact\n");
  const keys = generateKeyPair("ecdsa-p256");
  await writeFile(join(workspace, "provenant.pub"), keys.publicKeyPem);
  // Cases that run a real shell get this PATH and HOME: its `rm` only leaves
  // a mark, so a quoting regression shows up as a failed test, not as
  // `rm -rf /` on the machine running it.
  const guard = join(scratch, "guard-bin");
  await mkdir(guard);
  await writeFile(join(guard, "rm"), `#!/bin/sh\nexec touch '${join(scratch, "rm-was-called")}'\n`, { mode: 0o755 });
  const sandbox = { path: `${guard}:${process.env.PATH}`, home: join(scratch, "home") };
  await mkdir(sandbox.home);

  // The controller's OIDC issuer at <JENKINS_URL>oidc, as the plugin serves it.
  issuer = await startTestIssuer({ pathPrefix: "/oidc" });
  const controller = `${issuer.url}/`;
  const jobUrl = `${controller}job/acme/job/app/job/main/`;
  const branch = "main; rm -rf /";
  jenkinsEnv = {
    ...multibranch,
    JENKINS_URL: controller,
    JOB_URL: jobUrl,
    BUILD_URL: `${jobUrl}42/`,
    WORKSPACE: workspace,
    BRANCH_NAME: branch,
    GIT_BRANCH: branch,
    GIT_URL: "https://jenkins-bot:ghp_SECRETinREMOTE@github.com/acme/app.git",
  };
  // A registry that wants credentials, holding one image pushed by skopeo.
  registry = await startRegistry({ basicAuth: true });
  image = await makeOciLayout("jenkins");
  await skopeoCopy(image, registry, "acme/app");
  const registryCredentials = `${registry.credentials!.username}:${registry.credentials!.password}`;
  // Policy files for the image: one pinning the branch the build ran on, one another branch.
  const imagePolicy = (name: string, branch: string) =>
    JSON.stringify({
      apiVersion: "provenant.dev/v1",
      kind: "Policy",
      metadata: { name },
      trust: { keys: [{ name: "ci", file: "provenant.pub" }] },
      rules: [{ name: "app images", match: { images: [`${registry.host}/acme/app`] }, provenance: { sourceUris: ["github.com/acme/app"], branches: [branch] } }],
    });
  await writeFile(join(workspace, "image-policy.json"), imagePolicy("image", "main; rm -rf /"));
  await writeFile(join(workspace, "release-image-policy.json"), imagePolicy("release-image", "release"));

  // An issuer the build runs itself, and a token it signed claiming the same checkout.
  foreignIssuer = await startTestIssuer({ pathPrefix: "/oidc" });
  const externalToken = await foreignIssuer.sign({ sub: jobUrl, build_number: 42, git_url: jenkinsEnv.GIT_URL, git_commit: COMMIT, branch_name: branch });

  const idToken = await issuer.sign({
    sub: jobUrl,
    build_number: 42,
    git_url: jenkinsEnv.GIT_URL,
    git_commit: COMMIT,
    // The ref claims a multibranch branch build needs: the unexpanded ones
    // say this is neither a tag nor a change request.
    branch_name: branch,
    tag_name: `\${TAG_NAME}`,
    change_id: `\${CHANGE_ID}`,
  });

  // End-to-end cases: a real shell in the workspace, with the Jenkins environment.
  const inWorkspace = { execute: true, ...sandbox, cwd: workspace, env: jenkinsEnv };
  const unit = {
    env: { BRANCH_NAME: "main" },
    credentials: { [SIGNING_KEY_ID]: "PEM", "key-password": "pw" },
    cliStdout: JSON.stringify(ATTEST_REPORT),
  };
  const cases: Record<string, unknown>[] = [
    { ...unit, name: "attest defaults", step: "provenantAttest", config: { subjects: "dist/*.tgz", keyCredentialsId: SIGNING_KEY_ID } },
    {
      ...unit,
      name: "attest with every option",
      step: "provenantAttest",
      credentials: { [SIGNING_KEY_ID]: "PEM", "key-password": "pw", "jenkins-oidc": "TOKEN", "jenkins-api": "jane:apitoken" },
      config: {
        subjects: ["dist/app.tgz", "dist/app.sbom.json"],
        keyCredentialsId: SIGNING_KEY_ID,
        keyPasswordCredentialsId: "key-password",
        idTokenCredentialsId: "jenkins-oidc",
        tokenAudience: "https://provenant.example.com",
        issuer: "https://ci.example.com/oidc/job/acme",
        apiTokenCredentialsId: "jenkins-api",
        scmVars: { GIT_URL: "git@github.com:acme/app.git", GIT_COMMIT: COMMIT, GIT_BRANCH: "origin/main", GIT_PREVIOUS_COMMIT: COMMIT },
        cliPath: "/opt/provenant/provenant.mjs",
        bundle: "out/app.sigstore.json",
        archive: false,
      },
    },
    {
      ...unit,
      name: "attest hostile values through a real shell",
      step: "provenantAttest",
      execute: true,
      ...sandbox,
      cwd: scratch,
      config: {
        subjects: HOSTILE,
        bundle: "$(touch pwned).json",
        keyCredentialsId: SIGNING_KEY_ID,
        scmVars: { GIT_URL: "https://github.com/acme/app", GIT_COMMIT: COMMIT, GIT_BRANCH: "$(id)" },
        cli: ARGV_PRINTER,
      },
    },
    {
      ...unit,
      name: "attest dollar values through a real shell",
      step: "provenantAttest",
      execute: true,
      ...sandbox,
      cwd: scratch,
      env: { BRANCH_NAME: "main", SECRET: SECRET_VALUE },
      config: {
        subjects: DOLLARS,
        bundle: `${SECRET_REFERENCE}.json`,
        keyCredentialsId: SIGNING_KEY_ID,
        scmVars: { GIT_URL: "https://github.com/acme/app", GIT_COMMIT: COMMIT, GIT_BRANCH: SECRET_REFERENCE },
        cli: ARGV_PRINTER,
      },
    },
    {
      ...unit,
      name: "attest pushing images",
      step: "provenantAttest",
      credentials: { [SIGNING_KEY_ID]: "PEM", registry: "ci-bot:pw" },
      cliStdout: JSON.stringify(PUSH_REPORT),
      config: {
        subjects: ["oci://registry.example.com:5000/acme/app:1.0", `oci://acme/tool@${IMAGE_DIGEST}`, "dist/app.tgz"],
        keyCredentialsId: SIGNING_KEY_ID,
        push: true,
        registryCredentialsId: "registry",
        insecureRegistry: ["registry.example.com:5000", "mirror.internal"],
      },
    },
    // Values from string parameters or env vars: 'false' must not count as true.
    { ...unit, name: "attest with push 'false'", step: "provenantAttest", config: { subjects: "dist/*", keyCredentialsId: SIGNING_KEY_ID, push: "false" } },
    {
      ...unit,
      name: "attest with flags as strings",
      step: "provenantAttest",
      cliStdout: JSON.stringify(PUSH_REPORT),
      config: { subjects: "oci://registry.example.com/acme/app:1.0", keyCredentialsId: SIGNING_KEY_ID, push: " TRUE ", archive: "False" },
    },
    { ...unit, name: "attest with a flag that is not one", step: "provenantAttest", config: { subjects: "d", keyCredentialsId: SIGNING_KEY_ID, archive: "no" } },
    { ...unit, name: "attest push without an image", step: "provenantAttest", config: { subjects: "dist/*", keyCredentialsId: SIGNING_KEY_ID, push: true } },
    { ...unit, name: "attest without subjects", step: "provenantAttest", config: { keyCredentialsId: SIGNING_KEY_ID } },
    { ...unit, name: "attest without a key", step: "provenantAttest", config: { subjects: "dist/*" } },
    { ...unit, name: "attest with a typo", step: "provenantAttest", config: { subject: "dist/*", keyCredentialsId: SIGNING_KEY_ID } },
    {
      ...unit,
      name: "attest with cli and cliPath",
      step: "provenantAttest",
      config: { subjects: "dist/*", keyCredentialsId: SIGNING_KEY_ID, cli: "provenant", cliPath: "/opt/provenant.mjs" },
    },
    {
      ...unit,
      name: "attest with an id token file credential",
      step: "provenantAttest",
      credentials: { [SIGNING_KEY_ID]: "PEM", "jenkins-oidc-file": "TOKEN" },
      config: { subjects: "d", keyCredentialsId: SIGNING_KEY_ID, idTokenFileCredentialsId: "jenkins-oidc-file" },
    },
    {
      ...unit,
      name: "attest with both id token credentials",
      step: "provenantAttest",
      config: { subjects: "d", keyCredentialsId: SIGNING_KEY_ID, idTokenCredentialsId: "a", idTokenFileCredentialsId: "b" },
    },
    { ...unit, name: "attest on Windows", step: "provenantAttest", unix: false, config: { subjects: "d", keyCredentialsId: SIGNING_KEY_ID } },
    { ...unit, name: "attest when the CLI fails", step: "provenantAttest", shStatus: 2, config: { subjects: "d", keyCredentialsId: SIGNING_KEY_ID } },
    {
      ...unit,
      name: "attest when the CLI prints no report",
      step: "provenantAttest",
      cliStdout: "/path/of/the/bundle\n",
      config: { subjects: "d", keyCredentialsId: SIGNING_KEY_ID },
    },
    {
      ...unit,
      name: "verify with a policy",
      step: "provenantVerify",
      config: {
        artifacts: "dist/app.tgz",
        publicKey: "keys/provenant.pub",
        builderId: "https://ci.example.com/",
        sourceUri: "github.com/acme/*",
        sourceBranch: "main; rm -rf /",
        slsaLevel: 2,
        cli: "npx --yes @provenant/cli",
      },
    },
    {
      ...unit,
      name: "verify with a key credential",
      step: "provenantVerify",
      credentials: { "provenant-public-key": "PUBLIC PEM" },
      config: { artifacts: ["dist/a.tgz", "dist/b.tgz"], publicKeyCredentialsId: "provenant-public-key", bundle: "b.json" },
    },
    { ...unit, name: "verify any source", step: "provenantVerify", config: { artifacts: "a", publicKey: "k.pub", allowAnySource: true } },
    { ...unit, name: "verify failing", step: "provenantVerify", shStatus: 1, config: { artifacts: "a", publicKey: "k.pub" } },
    { ...unit, name: "verify unable to run", step: "provenantVerify", shStatus: 2, config: { artifacts: "a", publicKey: "k.pub" } },
    { ...unit, name: "verify without a key", step: "provenantVerify", config: { artifacts: "a" } },
    {
      ...unit,
      name: "verify an image",
      step: "provenantVerify",
      credentials: { registry: "ci-bot:pw", "provenant-public-key": "PUBLIC PEM" },
      config: {
        image: `registry.example.com/acme/app@${IMAGE_DIGEST}`,
        publicKeyCredentialsId: "provenant-public-key",
        registryCredentialsId: "registry",
        insecureRegistry: "registry.example.com",
        sourceBranch: "main",
      },
    },
    { ...unit, name: "verify an image failing", step: "provenantVerify", shStatus: 1, config: { image: "ghcr.io/acme/app:1.0", publicKey: "k.pub" } },
    { ...unit, name: "verify an image and artifacts", step: "provenantVerify", config: { image: "ghcr.io/acme/app:1.0", artifacts: "a", publicKey: "k.pub" } },
    { ...unit, name: "verify nothing", step: "provenantVerify", config: { publicKey: "k.pub" } },
    // End to end: the steps run the built CLI in a workspace with a Jenkins
    // environment, the key and the ID token bound as credentials.
    {
      name: "e2e attest",
      step: "provenantAttest",
      ...inWorkspace,
      credentials: { [SIGNING_KEY_ID]: keys.privateKeyPem, "jenkins-oidc": idToken },
      config: { subjects: "dist/*.tgz", keyCredentialsId: SIGNING_KEY_ID, idTokenCredentialsId: "jenkins-oidc", cliPath: CLI },
    },
    {
      name: "e2e attest with a foreign issuer",
      step: "provenantAttest",
      ...inWorkspace,
      credentials: { [SIGNING_KEY_ID]: keys.privateKeyPem, "jenkins-oidc": externalToken },
      config: {
        subjects: "dist/*.tgz",
        bundle: "foreign.sigstore.json",
        keyCredentialsId: SIGNING_KEY_ID,
        idTokenCredentialsId: "jenkins-oidc",
        issuer: foreignIssuer.issuer,
        cliPath: CLI,
      },
    },
    {
      name: "e2e verify the foreign issuer's bundle at L2",
      step: "provenantVerify",
      ...inWorkspace,
      config: { artifacts: "dist/app-1.0.tgz", bundle: "foreign.sigstore.json", publicKey: "provenant.pub", builderId: controller, slsaLevel: 2, cliPath: CLI },
    },
    {
      name: "e2e verify the foreign issuer's bundle at L1",
      step: "provenantVerify",
      ...inWorkspace,
      config: { artifacts: "dist/app-1.0.tgz", bundle: "foreign.sigstore.json", publicKey: "provenant.pub", builderId: controller, slsaLevel: 1, cliPath: CLI },
    },
    {
      name: "e2e verify",
      step: "provenantVerify",
      ...inWorkspace,
      config: {
        artifacts: "dist/app-1.0.tgz",
        publicKey: "provenant.pub",
        builderId: controller,
        sourceUri: "github.com/acme/app",
        sourceBranch: branch,
        slsaLevel: 2,
        cliPath: CLI,
      },
    },
    {
      name: "e2e verify against another branch",
      step: "provenantVerify",
      ...inWorkspace,
      config: { artifacts: "dist/app-1.0.tgz", publicKey: "provenant.pub", sourceUri: "github.com/acme/app", sourceBranch: "release", cliPath: CLI },
    },
    // The image in the registry: attested and pushed with the registry
    // credential bound, then verified from what the registry stores.
    {
      name: "e2e attest and push an image",
      step: "provenantAttest",
      ...inWorkspace,
      credentials: { [SIGNING_KEY_ID]: keys.privateKeyPem, registry: registryCredentials },
      config: {
        subjects: `oci://${registry.host}/acme/app:${image.tag}`,
        bundle: "image.sigstore.json",
        keyCredentialsId: SIGNING_KEY_ID,
        push: true,
        registryCredentialsId: "registry",
        insecureRegistry: registry.host,
        cliPath: CLI,
      },
    },
    {
      name: "e2e verify the image",
      step: "provenantVerify",
      ...inWorkspace,
      credentials: { registry: registryCredentials },
      config: {
        image: `${registry.host}/acme/app@${image.digest}`,
        publicKey: "provenant.pub",
        builderId: controller,
        sourceUri: "github.com/acme/app",
        sourceBranch: branch,
        registryCredentialsId: "registry",
        cliPath: CLI,
      },
    },
    {
      name: "e2e policy verify of the image",
      step: "provenantVerify",
      ...inWorkspace,
      credentials: { registry: registryCredentials },
      config: { policy: "image-policy.json", image: `${registry.host}/acme/app@${image.digest}`, registryCredentialsId: "registry", cliPath: CLI },
    },
    {
      name: "e2e policy verify of the image against another branch",
      step: "provenantVerify",
      ...inWorkspace,
      credentials: { registry: registryCredentials },
      config: { policy: "release-image-policy.json", image: `${registry.host}/acme/app:${image.tag}`, registryCredentialsId: "registry", cliPath: CLI },
    },
    {
      name: "e2e verify the image against another branch",
      step: "provenantVerify",
      ...inWorkspace,
      credentials: { registry: registryCredentials },
      config: { image: `${registry.host}/acme/app:${image.tag}`, publicKey: "provenant.pub", sourceUri: "github.com/acme/app", sourceBranch: "release", registryCredentialsId: "registry", cliPath: CLI },
    },
    {
      name: "e2e verify the image without registry credentials",
      step: "provenantVerify",
      ...inWorkspace,
      config: { image: `${registry.host}/acme/app@${image.digest}`, publicKey: "provenant.pub", sourceUri: "github.com/acme/app", cliPath: CLI },
    },
    // A scripted pipeline: no Git variables in the environment, only what
    // `checkout scm` returned, handed over as scmVars.
    {
      name: "e2e scripted attest",
      step: "provenantAttest",
      execute: true,
      ...sandbox,
      cwd: workspace,
      env: Object.fromEntries(Object.entries(jenkinsEnv).filter(([name]) => !/^(GIT_|BRANCH_NAME)/.test(name))),
      credentials: { [SIGNING_KEY_ID]: keys.privateKeyPem },
      config: {
        subjects: "dist/*.tgz",
        bundle: "scripted.sigstore.json",
        keyCredentialsId: SIGNING_KEY_ID,
        scmVars: { GIT_URL: "git@github.com:acme/app.git", GIT_COMMIT: COMMIT, GIT_BRANCH: "origin/release/2.x" },
        cliPath: CLI,
      },
    },
  ];
  // The example Jenkinsfile's own calls, run as written with the steps, env
  // and findFiles bound: an option the steps do not take fails them.
  jenkinsfileCalls = stepCalls(await readFile(JENKINSFILE, "utf8"));
  cases.push(
    ...jenkinsfileCalls.map((script, i) => ({
      name: `Jenkinsfile call ${i}`,
      step: "",
      script,
      anyCredentials: true,
      files: ["dist/app-1.0.0.tgz"],
      cliStdout: JSON.stringify(PUSH_REPORT),
      env: {
        // Not the controller the example pins: a run could set its own JENKINS_URL.
        JENKINS_URL: "https://run-supplied.example/",
        BUILD_NUMBER: "42",
        IMAGE_REPO: "registry.example.com/acme/app",
        IMAGE: "registry.example.com/acme/app:42",
        IMAGE_DIGEST_REF: `registry.example.com/acme/app@${IMAGE_DIGEST}`,
      },
    })),
  );
  results = await runStepCases(cases, join(scratch, "cases.json"));
});

afterAll(async () => {
  await issuer?.close();
  await foreignIssuer?.close();
  await registry?.close();
  removeLayouts();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** withEnv's PROVENANT_ARG_n variables for an argv given in parts. */
const argVariables = (...parts: string[][]) => parts.flat().map((arg, i) => `PROVENANT_ARG_${i}=${arg}`);
const REGISTRY_BINDING = {
  $class: "UsernamePasswordMultiBinding",
  credentialsId: "registry",
  usernameVariable: "PROVENANT_REGISTRY_USERNAME",
  passwordVariable: "PROVENANT_REGISTRY_PASSWORD",
};

const attestScript = (argCount: number, subjectCount: number) =>
  [
    ...Array.from({ length: argCount }, (_, i) => `"$PROVENANT_ARG_${i}"`),
    '--key "$PROVENANT_KEY_FILE" --',
    ...Array.from({ length: subjectCount }, (_, i) => `"$PROVENANT_SUBJECT_${i}"`),
    '> "$PROVENANT_RESULT_FILE"',
  ].join(" ");
/** The report file in the workspace's @tmp directory, one per bundle name. */
const resultFile = (bundle: string) =>
  expect.stringMatching(new RegExp(`^PROVENANT_RESULT_FILE=/.*@tmp/provenant-attest-${bundle.replace(/\./g, "\\.")}\\.report\\.json$`));

describe("provenantAttest", () => {
  it("binds the key, runs a fixed script over quoted variables, archives the bundle", () => {
    const run = result("attest defaults");
    expect(run.error).toBeUndefined();
    expect(run.returned).toEqual({ bundle: "provenance.sigstore.json", keyId: ATTEST_REPORT.keyId, subjects: ATTEST_REPORT.subjects, pushed: [] });
    expect(run.calls.map((call) => call.step)).toEqual(["pwd", "withEnv", "withCredentials", "sh", "readFile", "echo", "archiveArtifacts"]);
    expect(calls("attest defaults", "withEnv")[0]?.variables).toEqual([
      "PROVENANT_ARG_0=provenant",
      "PROVENANT_ARG_1=attest",
      "PROVENANT_ARG_2=--platform",
      "PROVENANT_ARG_3=jenkins",
      "PROVENANT_ARG_4=--bundle",
      "PROVENANT_ARG_5=provenance.sigstore.json",
      "PROVENANT_ARG_6=--json",
      "PROVENANT_SUBJECT_0=dist/*.tgz",
      resultFile("provenance.sigstore.json"),
    ]);
    expect(calls("attest defaults", "withCredentials")[0]?.bindings).toEqual([
      { $class: "FileBinding", credentialsId: SIGNING_KEY_ID, variable: "PROVENANT_KEY_FILE" },
    ]);
    const sh = calls("attest defaults", "sh")[0];
    expect(sh?.script).toBe(attestScript(7, 1));
    expect(calls("attest defaults", "echo")[0]?.message).toBe(
      `provenantAttest: attested 1 subject(s) into provenance.sigstore.json, signed by key ${ATTEST_REPORT.keyId}`,
    );
    expect(sh?.label).toBe("provenant attest");
    expect(sh?.environment).toMatchObject({ PROVENANT_KEY_FILE: expect.any(String) });
    expect(calls("attest defaults", "archiveArtifacts")).toEqual([
      { step: "archiveArtifacts", artifacts: "provenance.sigstore.json", fingerprint: true },
    ]);
  });

  it("passes every option as arguments or bound variables, and only the Git variables of scmVars", () => {
    const run = result("attest with every option");
    expect(run.error).toBeUndefined();
    expect(calls("attest with every option", "withEnv")[0]?.variables).toEqual([
      "PROVENANT_ARG_0=node",
      "PROVENANT_ARG_1=/opt/provenant/provenant.mjs",
      "PROVENANT_ARG_2=attest",
      "PROVENANT_ARG_3=--platform",
      "PROVENANT_ARG_4=jenkins",
      "PROVENANT_ARG_5=--bundle",
      "PROVENANT_ARG_6=out/app.sigstore.json",
      "PROVENANT_ARG_7=--json",
      "PROVENANT_ARG_8=--token-variable",
      "PROVENANT_ARG_9=PROVENANT_ID_TOKEN",
      "PROVENANT_ARG_10=--token-audience",
      "PROVENANT_ARG_11=https://provenant.example.com",
      "PROVENANT_SUBJECT_0=dist/app.tgz",
      "PROVENANT_SUBJECT_1=dist/app.sbom.json",
      "GIT_URL=git@github.com:acme/app.git",
      `GIT_COMMIT=${COMMIT}`,
      "GIT_BRANCH=origin/main",
      "PROVENANT_JENKINS_OIDC_ISSUER=https://ci.example.com/oidc/job/acme",
      resultFile("out_app.sigstore.json"),
    ]);
    expect(calls("attest with every option", "withCredentials")[0]?.bindings).toEqual([
      { $class: "FileBinding", credentialsId: SIGNING_KEY_ID, variable: "PROVENANT_KEY_FILE" },
      { $class: "StringBinding", credentialsId: "key-password", variable: "PROVENANT_KEY_PASSWORD" },
      { $class: "StringBinding", credentialsId: "jenkins-oidc", variable: "PROVENANT_ID_TOKEN" },
      {
        $class: "UsernamePasswordMultiBinding",
        credentialsId: "jenkins-api",
        usernameVariable: "JENKINS_USER_ID",
        passwordVariable: "JENKINS_API_TOKEN",
      },
    ]);
    expect(calls("attest with every option", "sh")[0]?.script).toBe(attestScript(12, 2));
    expect(calls("attest with every option", "archiveArtifacts")).toEqual([]);
    expect(run.returned).toMatchObject({ bundle: "out/app.sigstore.json" });
  });

  it("hands branch names like `main; rm -rf /` and `$(id)` to the CLI verbatim, never to the shell", async () => {
    const run = result("attest hostile values through a real shell");
    expect(run.error).toBeUndefined();
    const sh = calls("attest hostile values through a real shell", "sh")[0]!;
    for (const value of [...HOSTILE, "$(touch pwned).json"]) expect(sh.script).not.toContain(value);
    const received = JSON.parse(String(sh.stdout));
    expect(received).toEqual({
      argv: [
        "attest",
        "--platform",
        "jenkins",
        "--bundle",
        "$(touch pwned).json",
        "--json",
        "--key",
        (sh.environment as Record<string, string>).PROVENANT_KEY_FILE,
        "--",
        ...HOSTILE,
      ],
      GIT_BRANCH: "$(id)",
    });
    for (const mark of ["pwned", "pwned-too", "rm-was-called"]) expect(existsSync(join(scratch, mark))).toBe(false);
  });

  it("hands `$HOME` and a braced SECRET reference to the CLI as written, not expanded by Jenkins or the shell", () => {
    const run = result("attest dollar values through a real shell");
    expect(run.error).toBeUndefined();
    const sh = calls("attest dollar values through a real shell", "sh")[0]!;
    expect(calls("attest dollar values through a real shell", "withEnv")[0]?.variables).toContain(`GIT_BRANCH=${SECRET_REFERENCE}`);
    expect(JSON.parse(String(sh.stdout))).toEqual({
      argv: [
        "attest",
        "--platform",
        "jenkins",
        "--bundle",
        `${SECRET_REFERENCE}.json`,
        "--json",
        "--key",
        (sh.environment as Record<string, string>).PROVENANT_KEY_FILE,
        "--",
        ...DOLLARS,
      ],
      GIT_BRANCH: SECRET_REFERENCE,
    });
    expect(String(sh.stdout) + String(sh.stderr)).not.toContain(SECRET_VALUE);
  });

  it("binds an id token file credential as a file, and tells the CLI where", () => {
    const run = result("attest with an id token file credential");
    expect(run.error).toBeUndefined();
    expect(calls("attest with an id token file credential", "withCredentials")[0]?.bindings).toEqual([
      { $class: "FileBinding", credentialsId: SIGNING_KEY_ID, variable: "PROVENANT_KEY_FILE" },
      { $class: "FileBinding", credentialsId: "jenkins-oidc-file", variable: "PROVENANT_ID_TOKEN" },
    ]);
    expect(calls("attest with an id token file credential", "withEnv")[0]?.variables).toContain(
      "PROVENANT_ARG_7=--token-variable",
    );
  });

  it("pushes beside the image subjects with the registry credential bound, sent only to their registries", () => {
    const run = result("attest pushing images");
    expect(run.error).toBeUndefined();
    expect(calls("attest pushing images", "withEnv")[0]?.variables).toEqual([
      ...argVariables(
        ["provenant", "attest", "--platform", "jenkins", "--bundle", "provenance.sigstore.json", "--json", "--push"],
        ["--insecure-registry", "registry.example.com:5000", "--insecure-registry", "mirror.internal"],
      ),
      "PROVENANT_SUBJECT_0=oci://registry.example.com:5000/acme/app:1.0",
      `PROVENANT_SUBJECT_1=oci://acme/tool@${IMAGE_DIGEST}`,
      "PROVENANT_SUBJECT_2=dist/app.tgz",
      "PROVENANT_REGISTRY_HOSTS=registry.example.com:5000,docker.io",
      resultFile("provenance.sigstore.json"),
    ]);
    expect(calls("attest pushing images", "withCredentials")[0]?.bindings).toEqual([
      { $class: "FileBinding", credentialsId: SIGNING_KEY_ID, variable: "PROVENANT_KEY_FILE" },
      REGISTRY_BINDING,
    ]);
    expect(calls("attest pushing images", "sh")[0]?.script).toBe(attestScript(12, 3));
    // What was pushed, for later steps: the image digest and the attestation's.
    expect(run.returned).toEqual({ bundle: "provenance.sigstore.json", keyId: PUSH_REPORT.keyId, subjects: PUSH_REPORT.subjects, pushed: PUSH_REPORT.pushed });
    expect(calls("attest pushing images", "echo")[0]?.message).toContain(
      `provenantAttest: pushed attestation ${ATTESTATION_DIGEST} beside registry.example.com:5000/acme/app@${IMAGE_DIGEST} (referrers-tag)`,
    );
  });

  it("takes push and archive given as strings by their word, not by Groovy truth", () => {
    const argv = (name: string) => (calls(name, "withEnv")[0]?.variables ?? []) as string[];
    expect(result("attest with push 'false'").error).toBeUndefined();
    expect(argv("attest with push 'false'")).not.toContain(expect.stringMatching(/=--push$/));
    expect(calls("attest with push 'false'", "archiveArtifacts")).toHaveLength(1);
    expect(result("attest with flags as strings").error).toBeUndefined();
    expect(argv("attest with flags as strings")).toContain("PROVENANT_ARG_7=--push");
    expect(calls("attest with flags as strings", "archiveArtifacts")).toEqual([]);
  });

  it.each([
    ["attest with a flag that is not one", "archive is 'no'; expected true or false"],
    ["attest with both id token credentials", "not both"],
    ["attest without subjects", "subjects is required"],
    ["attest without a key", "keyCredentialsId is required"],
    ["attest with a typo", "unknown option(s) subject"],
    ["attest with cli and cliPath", "give cli or cliPath, not both"],
    ["attest on Windows", "runs on Unix agents"],
    ["attest when the CLI fails", "failed with exit code 2"],
    ["attest push without an image", "push needs an image subject"],
    ["attest when the CLI prints no report", "printed no JSON report"],
  ])("%s fails the build: %s", (name, message) => {
    const run = result(name);
    expect(run.error).toContain(message);
    expect(calls(name, "archiveArtifacts")).toEqual([]);
  });
});

describe("provenantVerify", () => {
  it("turns the policy into arguments of a fixed script", () => {
    const run = result("verify with a policy");
    expect(run.error).toBeUndefined();
    expect(run.returned).toBe(true);
    expect(calls("verify with a policy", "withEnv")[0]?.variables).toEqual([
      "PROVENANT_ARG_0=npx",
      "PROVENANT_ARG_1=--yes",
      "PROVENANT_ARG_2=@provenant/cli",
      "PROVENANT_ARG_3=verify",
      "PROVENANT_ARG_4=--bundle",
      "PROVENANT_ARG_5=provenance.sigstore.json",
      "PROVENANT_ARG_6=--key",
      "PROVENANT_ARG_7=keys/provenant.pub",
      "PROVENANT_ARG_8=--builder-id",
      "PROVENANT_ARG_9=https://ci.example.com/",
      "PROVENANT_ARG_10=--source-uri",
      "PROVENANT_ARG_11=github.com/acme/*",
      "PROVENANT_ARG_12=--source-branch",
      "PROVENANT_ARG_13=main; rm -rf /",
      "PROVENANT_ARG_14=--slsa-level",
      "PROVENANT_ARG_15=2",
      "PROVENANT_ARTIFACT_0=dist/app.tgz",
    ]);
    const script = calls("verify with a policy", "sh")[0]?.script as string;
    expect(script).toBe(
      `${Array.from({ length: 16 }, (_, i) => `"$PROVENANT_ARG_${i}"`).join(" ")} -- "$PROVENANT_ARTIFACT_0"`,
    );
    expect(calls("verify with a policy", "withCredentials")).toEqual([]);
  });

  it("binds a public key credential as a file", () => {
    const run = result("verify with a key credential");
    expect(run.error).toBeUndefined();
    expect(calls("verify with a key credential", "withCredentials")[0]?.bindings).toEqual([
      { $class: "FileBinding", credentialsId: "provenant-public-key", variable: "PROVENANT_PUBLIC_KEY_FILE" },
    ]);
    expect(calls("verify with a key credential", "sh")[0]?.script).toBe(
      '"$PROVENANT_ARG_0" "$PROVENANT_ARG_1" "$PROVENANT_ARG_2" "$PROVENANT_ARG_3" --key "$PROVENANT_PUBLIC_KEY_FILE" -- "$PROVENANT_ARTIFACT_0" "$PROVENANT_ARTIFACT_1"',
    );
  });

  it("passes --allow-any-source only when allowAnySource is true", () => {
    expect(result("verify any source").error).toBeUndefined();
    expect(JSON.stringify(calls("verify any source", "withEnv")[0]?.variables)).toMatch(/"PROVENANT_ARG_\d+=--allow-any-source"/);
    expect(JSON.stringify(calls("verify with a policy", "withEnv")[0]?.variables)).not.toContain("--allow-any-source");
  });

  it("verifies an image from its registry with the registry credential bound", () => {
    const run = result("verify an image");
    expect(run.error).toBeUndefined();
    expect(calls("verify an image", "withEnv")[0]?.variables).toEqual([
      ...argVariables(
        ["provenant", "verify", "--image", `registry.example.com/acme/app@${IMAGE_DIGEST}`],
        ["--insecure-registry", "registry.example.com", "--source-branch", "main"],
      ),
      "PROVENANT_REGISTRY_HOSTS=registry.example.com",
    ]);
    expect(calls("verify an image", "withCredentials")[0]?.bindings).toEqual([
      { $class: "FileBinding", credentialsId: "provenant-public-key", variable: "PROVENANT_PUBLIC_KEY_FILE" },
      REGISTRY_BINDING,
    ]);
    expect(calls("verify an image", "sh")[0]?.script).toBe(
      `${Array.from({ length: 8 }, (_, i) => `"$PROVENANT_ARG_${i}"`).join(" ")} --key "$PROVENANT_PUBLIC_KEY_FILE"`,
    );
  });

  it.each([
    ["verify failing", "provenance.sigstore.json for a does not verify"],
    ["verify an image failing", "ghcr.io/acme/app:1.0 does not verify"],
    ["verify an image and artifacts", "give image without artifacts or bundle"],
    ["verify nothing", "artifacts or image is required"],
    ["verify unable to run", "could not run (exit code 2"],
    ["verify without a key", "give publicKey"],
  ])("%s fails the build: %s", (name, message) => {
    expect(result(name).error).toContain(message);
  });
});

describe("the example Jenkinsfile", () => {
  // The CLI's arguments as the step passed them, one PROVENANT_ARG_<n> variable each.
  const argv = (i: number) =>
    ((calls(`Jenkinsfile call ${i}`, "withEnv")[0]?.variables ?? []) as string[]).map((v) => v.slice(v.indexOf("=") + 1));
  it("calls each step with options the step accepts, and they run the CLI", () => {
    // Both steps, for the package and the image: the parse found them all.
    expect(jenkinsfileCalls.map((call) => call.slice(0, call.indexOf("(")))).toEqual([
      "provenantAttest",
      "provenantAttest",
      "provenantVerify",
      "provenantVerify",
    ]);
    jenkinsfileCalls.forEach((_, i) => {
      const name = `Jenkinsfile call ${i}`;
      expect(result(name).error, jenkinsfileCalls[i]).toBeUndefined();
      expect(calls(name, "sh")).toHaveLength(1);
    });
  });

  it("attests and verifies the image by digest, not by its tag", () => {
    const digestRef = `registry.example.com/acme/app@${IMAGE_DIGEST}`;
    expect(argv(1)).toContain(`oci://${digestRef}`);
    expect(argv(3)).toEqual(expect.arrayContaining(["--image", digestRef]));
  });

  it("pins the builder to a written-out controller URL, not the JENKINS_URL of the run it checks", () => {
    for (const i of [2, 3]) {
      const args = argv(i);
      expect(args[args.indexOf("--builder-id") + 1], jenkinsfileCalls[i]).toBe("https://ci.example.com/");
      expect(args.join(" ")).not.toContain("run-supplied.example");
    }
  });
});

describe("end to end: the steps run the built CLI in a Jenkins workspace", () => {
  it("attests with the bound key and ID token, and the bundle verifies at SLSA Build L2", async () => {
    const attest = result("e2e attest");
    const attestSh = calls("e2e attest", "sh")[0];
    expect(attest.error, String(attestSh?.stderr)).toBeUndefined();
    expect(calls("e2e attest", "archiveArtifacts")).toEqual([
      { step: "archiveArtifacts", artifacts: "provenance.sigstore.json", fingerprint: true },
    ]);
    const bundleText = await readFile(join(workspace, "provenance.sigstore.json"), "utf8");
    expect(bundleText + String(attestSh?.stdout) + String(attestSh?.stderr)).not.toContain("ghp_SECRETinREMOTE");

    const envelope = parseBundle(JSON.parse(bundleText)).dsseEnvelope!;
    const statement = parseStatement(JSON.parse(Buffer.from(envelope.payload, "base64").toString("utf8")));
    expect(statement.subject.map((s) => s.name)).toEqual(["dist/app-1.0.tgz"]);
    const provenance = parseProvenance(statement.predicate);
    expect(provenance.runDetails.metadata?.provenant_factsSource).toBe("oidc-token");
    expect(sourceOf(provenance)).toMatchObject({
      uri: "https://github.com/acme/app",
      branch: "main; rm -rf /",
      commit: COMMIT,
    });

    const verify = result("e2e verify");
    const verifySh = calls("e2e verify", "sh")[0];
    expect(verify.error, `${verifySh?.stdout}\n${verifySh?.stderr}`).toBeUndefined();
    expect(verifySh?.status).toBe(0);
  });

  it("verifies a token from an external issuer the Jenkinsfile names (issuer:): external-oidc-token, L1 passes and L2 fails", async () => {
    const attest = result("e2e attest with a foreign issuer");
    const attestSh = calls("e2e attest with a foreign issuer", "sh")[0];
    expect(attest.error, String(attestSh?.stderr)).toBeUndefined();
    expect(String(attestSh?.stderr)).toContain(`external issuer ${foreignIssuer.issuer}: it is not served by this controller`);
    const envelope = parseBundle(JSON.parse(await readFile(join(workspace, "foreign.sigstore.json"), "utf8"))).dsseEnvelope!;
    const provenance = parseProvenance(parseStatement(JSON.parse(Buffer.from(envelope.payload, "base64").toString("utf8"))).predicate);
    expect(provenance.runDetails.metadata?.provenant_factsSource).toBe("external-oidc-token");
    expect(provenance.buildDefinition.internalParameters?.idTokenIssuer).toBe(foreignIssuer.issuer);
    expect(provenance.runDetails.builder.id).toBe(`${issuer.url}/`);
    // The CLI fetched its keys: the steps ran in beforeAll.
    expect(foreignIssuer.requests.map((r) => r.path)).toContain("/oidc/.well-known/jwks");
    const atL2 = calls("e2e verify the foreign issuer's bundle at L2", "sh")[0];
    expect(result("e2e verify the foreign issuer's bundle at L2").error).toContain("does not verify");
    expect(`${atL2?.stdout}${atL2?.stderr}`).toContain("an issuer the build named itself");
    const atL1 = calls("e2e verify the foreign issuer's bundle at L1", "sh")[0];
    expect(result("e2e verify the foreign issuer's bundle at L1").error, `${atL1?.stdout}\n${atL1?.stderr}`).toBeUndefined();
  });

  it("pushes the attestation beside the image and verifies it from the registry", async () => {
    const attest = result("e2e attest and push an image");
    const attestSh = calls("e2e attest and push an image", "sh")[0];
    expect(attest.error, String(attestSh?.stderr)).toBeUndefined();
    const pushed = (attest.returned as { pushed: { image: string; attestation: string }[] }).pushed;
    expect(pushed).toEqual([{ image: `${registry.host}/acme/app:${image.tag}@${image.digest}`, attestation: expect.stringMatching(/^sha256:[0-9a-f]{64}$/), via: expect.any(String) }]);
    expect(calls("e2e attest and push an image", "echo")[0]?.message).toContain(`beside ${registry.host}/acme/app:${image.tag}@${image.digest}`);
    const bundleText = await readFile(join(workspace, "image.sigstore.json"), "utf8");
    const statement = parseStatement(JSON.parse(Buffer.from(parseBundle(JSON.parse(bundleText)).dsseEnvelope!.payload, "base64").toString("utf8")));
    expect(statement.subject.map((s) => s.digest.sha256)).toEqual([image.digest.slice("sha256:".length)]);
    // skopeo, an independent client, sees the attestation in the tag index
    // distribution 2.8 gets instead of the referrers API.
    const index = (await skopeoInspectRaw(registry, `acme/app:${image.digest.replace(":", "-")}`)) as { manifests: { digest: string }[] };
    expect(index.manifests.map((m) => m.digest)).toEqual([pushed[0]!.attestation]);

    const verify = result("e2e verify the image");
    const verifySh = calls("e2e verify the image", "sh")[0];
    expect(verify.error, `${verifySh?.stdout}\n${verifySh?.stderr}`).toBeUndefined();
    expect(verifySh?.status).toBe(0);
    const password = registry.credentials!.password;
    for (const sh of [attestSh, verifySh]) expect(`${sh?.stdout}${sh?.stderr}`).not.toContain(password);
    expect(bundleText).not.toContain(password);
  });

  it("fails the build when the image's attestation is for another branch, or the registry refuses", () => {
    expect(result("e2e verify the image against another branch").error).toContain("does not verify");
    expect(calls("e2e verify the image against another branch", "sh")[0]?.status).toBe(1);
    const refused = calls("e2e verify the image without registry credentials", "sh")[0];
    expect(result("e2e verify the image without registry credentials").error).toContain("could not run (exit code 2");
    expect(String(refused?.stderr)).toContain("PROVENANT_REGISTRY_USERNAME");
  });

  it("gates the image with a policy file: each rule's decision on the console, a denial for another branch fails the build", () => {
    const allowed = calls("e2e policy verify of the image", "sh")[0];
    expect(result("e2e policy verify of the image").error, `${allowed?.stdout}\n${allowed?.stderr}`).toBeUndefined();
    expect(String(allowed?.stdout)).toMatch(/PASS {2}rule app images/);
    expect(String(allowed?.stdout)).toContain("ALLOWED");
    const denied = calls("e2e policy verify of the image against another branch", "sh")[0];
    expect(denied?.status).toBe(1);
    expect(result("e2e policy verify of the image against another branch").error).toContain("denied by policy release-image-policy.json");
    expect(String(denied?.stdout)).toContain("DENIED");
    for (const sh of [allowed, denied]) expect(`${sh?.stdout}${sh?.stderr}`).not.toContain(registry.credentials!.password);
  });

  it("records a scripted pipeline's checkout from scmVars", async () => {
    const run = result("e2e scripted attest");
    expect(run.error, String(calls("e2e scripted attest", "sh")[0]?.stderr)).toBeUndefined();
    const envelope = parseBundle(JSON.parse(await readFile(join(workspace, "scripted.sigstore.json"), "utf8"))).dsseEnvelope!;
    const provenance = parseProvenance(
      parseStatement(JSON.parse(Buffer.from(envelope.payload, "base64").toString("utf8"))).predicate,
    );
    expect(sourceOf(provenance)).toMatchObject({ uri: "https://github.com/acme/app", branch: "release/2.x", commit: COMMIT });
    expect(provenance.runDetails.metadata?.provenant_factsSource).toBe("environment");
  });

  it("fails the build when the policy asks for another branch", () => {
    const run = result("e2e verify against another branch");
    expect(run.error).toContain("does not verify");
    expect(calls("e2e verify against another branch", "sh")[0]?.status).toBe(1);
  });
});
