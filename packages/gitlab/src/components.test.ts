import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { FACTS_SOURCE_FIELD, generateKeyPair } from "@provenant/core";
import { makeOciLayout, removeLayouts, skopeoCopy, startRegistry, type TestRegistry } from "@provenant/oci/testing";
import { gitlabJobClaims, startTestIssuer, type TestIssuer } from "@provenant/oidc/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// End to end: the CI/CD components in templates/ run under gitlab-ci-local
// (shell executor) in a throwaway git repository, calling the locally built
// single-file CLI with the node that runs these tests. gitlab-ci-local cannot
// fetch `include: component:` offline, so the templates are copied into the
// repository and included with `include: local:` and the same inputs.

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const templates = resolve(here, "../templates");
const cli = resolve(here, "../../cli/dist/provenant.mjs");
const node = process.execPath;
let gitlabCiLocal: string;

let work: string;
let issuer: TestIssuer;
const keys = generateKeyPair("ecdsa-p256");

async function which(command: string): Promise<boolean> {
  return run("sh", ["-c", 'command -v "$0"', command]).then(
    () => true,
    () => false,
  );
}

/** gitlab-ci-local's entry point, or an error saying what to do: these tests fail rather than skip. */
function gitlabCiLocalEntry(): string {
  // The issue's requirement for gitlab-ci-local, stricter than this package's engines.
  const major = Number(process.versions.node.split(".")[0]);
  if (major < 24) {
    throw new Error(
      `gitlab-ci-local needs Node.js >= 24; these tests run under Node ${process.versions.node}: run them with Node 24 (source scripts/env.sh puts it on PATH)`,
    );
  }
  let manifest: string;
  try {
    manifest = createRequire(import.meta.url).resolve("gitlab-ci-local/package.json");
  } catch {
    throw new Error("the gitlab-ci-local package is missing (a devDependency of @provenant/gitlab): run pnpm install");
  }
  return join(dirname(manifest), "dist/index.js");
}

beforeAll(async () => {
  gitlabCiLocal = gitlabCiLocalEntry();
  if (!(await which("rsync"))) {
    throw new Error("gitlab-ci-local needs rsync to pass artifacts between jobs: install the Debian package rsync (apt-get install rsync)");
  }
  if (!(await which("git"))) throw new Error("these tests need git: install the Debian package git");
  if (!existsSync(cli)) {
    throw new Error(`the built CLI is missing at ${cli}: run pnpm --filter @provenant/cli build (turbo does it before this package's tests)`);
  }
  work = await mkdtemp(join(tmpdir(), "provenant-gitlab-e2e-"));
  issuer = await startTestIssuer({ jwksPath: "/oauth/discovery/keys" });
});
afterAll(async () => {
  await issuer?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

interface Pipeline {
  dir: string;
  commit: string;
}

interface Components {
  attest?: Record<string, string | boolean>;
  verify?: Record<string, string | boolean>;
  /** Further includes of the verify component, each with its own job_name. */
  moreVerifies?: Record<string, string | boolean>[];
  /** More lines for the build job's script. */
  buildScript?: string[];
  /** Lines of a dotenv report the build job publishes (`artifacts: reports: dotenv:`). */
  buildDotenv?: string[];
  /** Files committed to the repository (a policy and its keys), by path. */
  files?: Record<string, string>;
}

/**
 * A repository whose pipeline builds dist/app.txt, attests it with the
 * component and verifies it with the other; `inputs` replace or add to the
 * default inputs (dist/*.txt attested, dist/app.txt verified).
 */
async function repository(
  name: string,
  inputs: Components,
  keysAs: "file" | "text" = "file",
): Promise<Pipeline> {
  const dir = join(work, name);
  await mkdir(join(dir, "ci"), { recursive: true });
  await mkdir(join(dir, "home"));
  const git = (...args: string[]) => run("git", args, { cwd: dir });
  await git("init", "-q", "-b", "main");
  await git("remote", "add", "origin", "https://gitlab.example.com/acme/app.git");
  await copyFile(join(templates, "attest.yml"), join(dir, "ci/attest.yml"));
  await copyFile(join(templates, "verify.yml"), join(dir, "ci/verify.yml"));
  const command = `${node} ${cli}`;
  // JSON is YAML: no YAML library needed to write the pipeline.
  const pipeline = {
    stages: ["build", "attest", "verify"],
    include: [
      { local: "ci/attest.yml", inputs: { subjects: "dist/*.txt", stage: "attest", command, ...inputs.attest } },
      { local: "ci/verify.yml", inputs: { artifacts: "dist/app.txt", stage: "verify", command, ...inputs.verify } },
      ...(inputs.moreVerifies ?? []).map((more) => ({ local: "ci/verify.yml", inputs: { stage: "verify", command, ...more } })),
    ],
    build: {
      stage: "build",
      script: [
        "mkdir -p dist",
        'printf "release build\\n" > dist/app.txt',
        ...(inputs.buildScript ?? []),
        ...(inputs.buildDotenv ?? []).map((line) => `printf '%s\\n' ${JSON.stringify(line)} >> build.env`),
      ],
      artifacts: { paths: ["dist/"], ...(inputs.buildDotenv ? { reports: { dotenv: "build.env" } } : {}) },
    },
  };
  await writeFile(join(dir, ".gitlab-ci.yml"), JSON.stringify(pipeline, null, 2));
  // gitlab-ci-local's project variables file: File-type variables, as the
  // README recommends for keys, or the PEM text itself.
  const variable = (pem: string) => (keysAs === "file" ? { type: "file", values: { "*": pem } } : pem);
  await writeFile(
    join(dir, ".gitlab-ci-local-variables.yml"),
    JSON.stringify({ PROVENANT_SIGNING_KEY: variable(keys.privateKeyPem), PROVENANT_PUBLIC_KEY: variable(keys.publicKeyPem) }),
  );
  await writeFile(join(dir, ".gitignore"), ".gitlab-ci-local*\nhome/\n");
  for (const [path, content] of Object.entries(inputs.files ?? {})) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  await git("add", ".gitlab-ci.yml", ".gitignore", "ci", ...Object.keys(inputs.files ?? {}));
  await git("-c", "user.name=Test", "-c", "user.email=test@example.com", "commit", "-q", "-m", "pipeline");
  const { stdout } = await git("rev-parse", "HEAD");
  return { dir, commit: stdout.trim() };
}

async function gitlabCi(pipeline: Pipeline, extra: string[] = []) {
  const args = [gitlabCiLocal, "--force-shell-executor", "--shell-isolation", "--home", join(pipeline.dir, "home"), ...extra];
  return run(node, args, {
    cwd: pipeline.dir,
    env: { PATH: process.env.PATH, HOME: join(pipeline.dir, "home"), LANG: "C.UTF-8" },
    maxBuffer: 16 * 1024 * 1024,
    timeout: 110_000,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: typeof error.code === "number" ? error.code : 1,
      output: `${error.stdout ?? ""}${error.stderr ?? ""}`,
    }),
  );
}

async function provenant(cwd: string, ...args: string[]) {
  return run(node, [cli, ...args], { cwd }).then(
    ({ stdout }) => ({ code: 0, output: stdout }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? 1, output: `${error.stdout}${error.stderr}` }),
  );
}

async function provenanceIn(dir: string) {
  const bundle = JSON.parse(await readFile(join(dir, "provenance.sigstore.json"), "utf8"));
  const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, "base64").toString("utf8"));
  return statement.predicate;
}

describe("CI/CD components under gitlab-ci-local", () => {
  it("attest then verify: the bundle verifies by source URI and branch", async () => {
    // Two gates from one component, told apart by job_name, as examples/gitlab does.
    const pipeline = await repository("variables", {
      verify: { source_uri: "gitlab.example.com/acme/app", source_branch: "main" },
      moreVerifies: [{ job_name: "provenant-verify-source", artifacts: "dist/app.txt", source_uri: "gitlab.example.com/acme/*" }],
    });
    const result = await gitlabCi(pipeline);
    expect(result.output).toMatch(/PASS\s+provenant-verify\s/);
    expect(result.output).toMatch(/PASS\s+provenant-verify-source/);
    expect(result.code).toBe(0);

    // The bundle was kept as the attest job's artifact; check it again here.
    await writeFile(join(pipeline.dir, "pubkey.pem"), keys.publicKeyPem);
    const verified = await provenant(
      pipeline.dir,
      "verify", "dist/app.txt", "--bundle", "provenance.sigstore.json", "--key", "pubkey.pem",
      "--source-uri", "gitlab.example.com/acme/app", "--source-branch", "main",
    );
    expect(verified.output).toMatch(/VERIFIED/);
    expect(verified.code).toBe(0);
    const wrongBranch = await provenant(
      pipeline.dir,
      "verify", "dist/app.txt", "--bundle", "provenance.sigstore.json", "--key", "pubkey.pem",
      "--source-uri", "gitlab.example.com/acme/app", "--source-branch", "release",
    );
    expect(wrongBranch.code).toBe(1);

    const predicate = await provenanceIn(pipeline.dir);
    expect(predicate.buildDefinition.buildType).toBe("https://provenant.dev/buildtypes/gitlab-ci/v1");
    expect(predicate.buildDefinition.externalParameters.job).toBe("provenant-attest");
    expect(predicate.buildDefinition.resolvedDependencies[0]).toEqual({
      uri: "git+https://gitlab.example.com/acme/app@refs/heads/main",
      digest: { gitCommit: pipeline.commit },
    });
    // gitlab-ci-local issues no ID token: the facts are marked as variables-only.
    expect(predicate.runDetails.metadata[FACTS_SOURCE_FIELD]).toBe("environment");
    expect(JSON.stringify(predicate)).not.toContain("PRIVATE KEY");
  });

  it("the verify job fails the pipeline when the policy does not match (keys given as PEM text)", async () => {
    const pipeline = await repository("policy-mismatch", { verify: { source_branch: "release/*", allow_any_source: true } }, "text");
    const result = await gitlabCi(pipeline);
    expect(result.output).toMatch(/PASS\s+provenant-attest/);
    expect(result.output).toMatch(/FAIL\s+source branch/);
    expect(result.output).toMatch(/FAIL\s+provenant-verify/);
    expect(result.output).not.toContain("PRIVATE KEY");
    expect(result.code).not.toBe(0);
  });

  it("a dotenv report from the build job neither replaces the verify command nor runs code in the CLI", async () => {
    // The policy does not match, so only a replaced command (`true verify …`) could pass the gate.
    const pipeline = await repository("dotenv", {
      verify: { source_branch: "release/*", allow_any_source: true },
      // The payload travels as an artifact, like the report; split, so the echoed script line does not say it.
      buildScript: [`printf '%s\\n' 'process.stdout.write("hij" + "acked: code ran in the CLI");' > dist/hijack.cjs`],
      buildDotenv: [
        "PROVENANT_CLI=true",
        "PROVENANT_SOURCE_BRANCH=main",
        "NODE_OPTIONS=--require=./dist/hijack.cjs",
      ],
    });
    const result = await gitlabCi(pipeline);
    expect(result.output).toMatch(/PASS\s+provenant-attest/);
    expect(result.output).toMatch(/FAIL\s+source branch/);
    expect(result.output).toMatch(/FAIL\s+provenant-verify/);
    expect(result.output).not.toContain("hijacked: code ran");
    expect(result.code).not.toBe(0);
  });

  it("with an ID token from the instance the pipeline reaches SLSA Build L2", async () => {
    // A token_variable other than the default: the component must pass it on.
    const pipeline = await repository("id-token", {
      attest: { token_variable: "GITLAB_OIDC_TOKEN" },
      verify: { source_uri: "127.0.0.1:*/acme/app", source_branch: "main", slsa_level: "2" },
    });
    // gitlab-ci-local has no `id_tokens:` support: the token comes in as the
    // variable GitLab would set, and CI_SERVER_URL points at the local issuer.
    const token = await issuer.sign({
      project_path: "acme/app",
      project_id: "1217",
      namespace_path: "acme",
      sha: pipeline.commit,
      ref: "main",
      ref_type: "branch",
      ref_path: "refs/heads/main",
      ref_protected: "false",
      pipeline_id: "1000",
      pipeline_source: "push",
      job_id: "4242",
      runner_environment: "self-hosted",
      user_login: "maintainers",
    });
    const result = await gitlabCi(pipeline, [
      "--variable", `CI_SERVER_URL=${issuer.issuer}`,
      "--variable", `GITLAB_OIDC_TOKEN=${token}`,
      "--variable", "CI_JOB_ID=4242",
      "--variable", "CI_PIPELINE_ID=1000",
      "--variable", "CI_PROJECT_ID=1217",
      // A script that rewrote the commit: the token's sha must win, and say so.
      "--variable", `CI_COMMIT_SHA=${"f".repeat(40)}`,
      // The issuer serves no REST API: enrichment must only warn.
      "--variable", "CI_JOB_TOKEN=e2e-job-token-value",
    ]);
    expect(result.output).toMatch(/GitLab API enrichment skipped/);
    expect(result.output).toMatch(/SLSA Build L2/);
    expect(result.output).toContain(`CI_COMMIT_SHA is ${"f".repeat(40)} but the verified ID token's sha is ${pipeline.commit}`);
    expect(result.output).toContain(`${pipeline.commit} was used`);
    // The verify job's report says it too, from what the provenance recorded.
    expect(result.output).toMatch(/contradicted the token \([^)]*CI_COMMIT_SHA/);
    expect(result.code).toBe(0);
    const bundleText = await readFile(join(pipeline.dir, "provenance.sigstore.json"), "utf8");
    expect(bundleText).not.toContain("e2e-job-token-value");
    expect(Buffer.from(JSON.parse(bundleText).dsseEnvelope.payload, "base64").toString()).not.toContain(token);
    const predicate = await provenanceIn(pipeline.dir);
    expect(predicate.runDetails.metadata[FACTS_SOURCE_FIELD]).toBe("oidc-token");
    expect(predicate.runDetails.metadata.invocationId).toBe(`${issuer.issuer}/acme/app/-/jobs/4242`);
    expect(predicate.runDetails.builder.id).toBe(`${issuer.issuer}/-/runners/self-hosted`);
    expect(predicate.buildDefinition.resolvedDependencies[0].digest).toEqual({ gitCommit: pipeline.commit });
    // (gitlab-ci-local's GITLAB_USER_LOGIN disagrees with the token's user_login too.)
    expect(predicate.runDetails.metadata.provenant_variableDisagreements).toContainEqual({
      variable: "CI_COMMIT_SHA",
      claim: "sha",
      variableValue: "f".repeat(40),
      claimValue: pipeline.commit,
    });
  });

  describe("container images", () => {
    let registry: TestRegistry;
    beforeAll(async () => {
      // Basic auth, so the push and the pull only work with GitLab's registry
      // login mapped into the CLI's environment.
      registry = await startRegistry({ basicAuth: true });
    });
    afterAll(async () => {
      await registry?.close();
      removeLayouts();
    });
    /** What GitLab predefines in every job when the project's container registry is on. */
    const registryLogin = () => [
      "--variable", `CI_REGISTRY=${registry.host}`,
      "--variable", `CI_REGISTRY_USER=${registry.credentials!.username}`,
      "--variable", `CI_REGISTRY_PASSWORD=${registry.credentials!.password}`,
    ];
    /** A fresh image in the test registry under acme/<name>, tag 1.0, and its oci:// reference. */
    async function imageIn(name: string) {
      const image = await makeOciLayout(`gitlab-components-${name}`);
      await skopeoCopy(image, registry, `acme/${name}`);
      return { image, reference: `oci://${registry.host}/acme/${name}:1.0` };
    }
    /** The attestations the registry holds for an image, read outside the pipeline with the registry's login. */
    async function attestationsFor(reference: string, cwd: string) {
      const { username, password } = registry.credentials!;
      const env = { ...process.env, PROVENANT_REGISTRY_USERNAME: username, PROVENANT_REGISTRY_PASSWORD: password };
      const listed = await run(node, [cli, "attestations", "list", reference, "--json"], { cwd, env });
      return JSON.parse(listed.stdout).attestations as { predicateType?: string }[];
    }

    it("attest pushes the bundle beside the image and verify checks it from the registry", async () => {
      const { reference } = await imageIn("app");
      // The inputs a GitLab project would write: its own registry image, as
      // CI_REGISTRY_IMAGE expands inside the job.
      const pipeline = await repository("image", {
        attest: { subjects: "oci://$CI_REGISTRY_IMAGE:1.0", push: true },
        verify: { artifacts: "", registry_image: "oci://$CI_REGISTRY_IMAGE:1.0", source_uri: "gitlab.example.com/acme/app", source_branch: "main" },
      });
      const result = await gitlabCi(pipeline, registryLogin());
      expect(result.output).toMatch(/pushed attestation sha256:[0-9a-f]{64} beside/);
      expect(result.output).toMatch(/PASS\s+provenant-verify/);
      expect(result.output).toMatch(/VERIFIED/);
      expect(result.output).not.toContain(registry.credentials!.password);
      expect(result.code).toBe(0);

      // Outside the pipeline: the registry holds the attestation for the image digest.
      const attestations = await attestationsFor(reference, pipeline.dir);
      expect(attestations.map((a) => a.predicateType)).toEqual(["https://slsa.dev/provenance/v1"]);
      const predicate = await provenanceIn(pipeline.dir);
      expect(predicate.buildDefinition.resolvedDependencies[0].digest).toEqual({ gitCommit: pipeline.commit });
    });

    it("without push, attest still resolves a private image with the login and pushes nothing", async () => {
      const { image, reference } = await imageIn("nopush");
      const pipeline = await repository("image-no-push", {
        attest: { subjects: "oci://$CI_REGISTRY_IMAGE:1.0" },
        // An oci:// artifact is resolved through the registry too, against the bundle.
        verify: { artifacts: "oci://$CI_REGISTRY_IMAGE:1.0", source_branch: "main", allow_any_source: true },
      });
      const result = await gitlabCi(pipeline, [...registryLogin(), "--variable", `CI_REGISTRY_IMAGE=${registry.host}/acme/nopush`]);
      expect(result.output).toMatch(/PASS\s+provenant-attest/);
      expect(result.output).toMatch(/PASS\s+provenant-verify/);
      expect(result.output).not.toMatch(/pushed attestation/);
      expect(result.output).not.toContain(registry.credentials!.password);
      expect(result.code).toBe(0);

      const bundle = JSON.parse(await readFile(join(pipeline.dir, "provenance.sigstore.json"), "utf8"));
      const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, "base64").toString("utf8"));
      expect(statement.subject).toEqual([{ name: `${registry.host}/acme/nopush`, digest: { sha256: image.digest.replace("sha256:", "") } }]);
      expect(await attestationsFor(reference, pipeline.dir)).toEqual([]);
    });

    it("with the login only in DOCKER_AUTH_CONFIG, attest pushes and verify reads the registry", async () => {
      const { reference } = await imageIn("dockerauth");
      const pipeline = await repository("image-docker-auth-config", {
        attest: { subjects: reference, push: true },
        verify: { artifacts: "", registry_image: reference, source_branch: "main", allow_any_source: true },
      });
      const { username, password } = registry.credentials!;
      const auth = Buffer.from(`${username}:${password}`).toString("base64");
      // No CI_REGISTRY_USER / CI_REGISTRY_PASSWORD: docker's config.json is the only login.
      const result = await gitlabCi(pipeline, ["--variable", `DOCKER_AUTH_CONFIG=${JSON.stringify({ auths: { [registry.host]: { auth } } })}`]);
      expect(result.output).toMatch(/pushed attestation sha256:[0-9a-f]{64} beside/);
      expect(result.output).toMatch(/PASS\s+provenant-verify/);
      expect(result.output).not.toContain(password);
      expect(result.output).not.toContain(auth);
      expect(result.code).toBe(0);
    });

    it("the verify job fails for an image whose attestation does not meet the policy", async () => {
      const { reference } = await imageIn("policy");
      const pipeline = await repository("image-policy", {
        attest: { subjects: reference, push: true },
        verify: { artifacts: "", registry_image: reference, source_branch: "release/*", allow_any_source: true },
      });
      const result = await gitlabCi(pipeline, registryLogin());
      expect(result.output).toMatch(/PASS\s+provenant-attest/);
      expect(result.output).toMatch(/FAIL\s+source branch/);
      expect(result.output).toMatch(/FAIL\s+provenant-verify/);
      expect(result.code).not.toBe(0);
    });
  });

  describe("with the signing service and a policy file", () => {
    const AUDIENCE = "provenant-signing";
    let server: ChildProcess | undefined;
    let serverUrl: string;
    let servicePub: string;

    // The real `provenant server` (the built CLI) on 127.0.0.1, trusting the
    // local issuer as a GitLab instance for acme/*, as an operator configures it.
    beforeAll(async () => {
      const data = join(work, "signing-server");
      await mkdir(data);
      const trusted = { issuer: issuer.issuer, platform: "gitlab", audiences: [AUDIENCE], repositories: ["acme/*"] };
      await writeFile(join(data, "server.json"), JSON.stringify({ signing: { trustedIssuers: [trusted] } }));
      const child = spawn(node, [cli, "server", "--data", data, "--listen", "127.0.0.1:0"], { stdio: ["ignore", "pipe", "pipe"] });
      server = child;
      serverUrl = await new Promise<string>((done, fail) => {
        let out = "";
        child.stdout!.on("data", (chunk) => {
          out += String(chunk);
          const match = /listening on (\S+)/.exec(out);
          if (match) done(match[1]!);
        });
        child.once("exit", (code) => fail(new Error(`provenant server exited with ${code} before listening`)));
      });
      servicePub = await readFile(join(data, "signing.pub"), "utf8");
    }, 60_000);
    afterAll(() => {
      if (server?.pid) process.kill(server.pid, "SIGTERM");
    });

    /** A GitLab-hosted job's ID-token claims (GitLab's documented id_tokens claim set) for acme/app at `commit`. */
    function hostedJobClaims(commit: string) {
      const overrides = { project_id: "1217", user_login: "maintainers", pipeline_id: "1000", job_id: "4243", sha: commit, ci_config_sha: commit };
      return gitlabJobClaims(new URL(issuer.issuer).host, overrides);
    }

    /** A policy trusting `keyName`'s key (at keys/<keyName>.pub beside it) for acme/app's main branch. */
    function policyFile(keyName: string, options: { service: boolean; minimumLevel: number; branch: string }) {
      return [
        "apiVersion: provenant.dev/v1",
        "kind: Policy",
        "trust:",
        "  keys:",
        `    - name: ${keyName}`,
        `      file: keys/${keyName}.pub`,
        ...(options.service ? ["      service: true"] : []),
        "rules:",
        "  - name: app from acme",
        "    match:",
        '      artifacts: ["dist/*.txt"]',
        "    provenance:",
        `      signers: { keys: [${keyName}] }`,
        '      sourceUris: ["127.0.0.1:*/acme/app"]',
        `      branches: ["${options.branch}"]`,
        `      minimumLevel: ${options.minimumLevel}`,
        "    cel:",
        "      - expr: predicate.runDetails.metadata.provenant_factsSource == \"service-oidc-token\"",
        "        message: the provenance was not built by the signing service",
        "",
      ].join("\n");
    }

    it("attest through the signing server, verify with the policy; verify --service-key reports L3", async () => {
      const pipeline = await repository("signing-service", {
        attest: { signing_server_url: serverUrl, signing_audience: AUDIENCE },
        verify: { policy: ".provenant/release.yaml" },
        files: {
          ".provenant/release.yaml": policyFile("signing-service", { service: true, minimumLevel: 2, branch: "main" }),
          ".provenant/keys/signing-service.pub": servicePub,
        },
      });
      // gitlab-ci-local has no id_tokens: the token comes in as the variable GitLab would set.
      const token = await issuer.sign(hostedJobClaims(pipeline.commit), { audience: AUDIENCE });
      const result = await gitlabCi(pipeline, ["--variable", `PROVENANT_SIGNING_TOKEN=${token}`]);
      expect(result.output).toMatch(/signed by the service at http:\/\/127\.0\.0\.1:\d+: log index \d+/);
      // The job log carries the policy's explanation, rule by rule.
      expect(result.output).toMatch(/PASS\s+rule app from acme/);
      expect(result.output).toMatch(/ALLOWED/);
      expect(result.output).toMatch(/PASS\s+provenant-verify/);
      expect(result.output).not.toContain(token);
      expect(result.code).toBe(0);

      const predicate = await provenanceIn(pipeline.dir);
      expect(predicate.runDetails.metadata[FACTS_SOURCE_FIELD]).toBe("service-oidc-token");
      expect(predicate.runDetails.builder.id).toBe(`${issuer.issuer}/-/runners/gitlab-hosted`);
      expect(predicate.buildDefinition.resolvedDependencies[0].digest).toEqual({ gitCommit: pipeline.commit });

      await writeFile(join(pipeline.dir, "service.pub"), servicePub);
      const common = ["verify", "dist/app.txt", "--bundle", "provenance.sigstore.json", "--source-uri", "127.0.0.1:*/acme/app", "--slsa-level", "3"];
      const verified = await provenant(pipeline.dir, ...common, "--service-key", "service.pub");
      expect(verified.output).toMatch(/SLSA Build L3/);
      expect(verified.code).toBe(0);
      // The same key trusted as a user key never supports L3.
      expect((await provenant(pipeline.dir, ...common, "--key", "service.pub")).code).toBe(1);
    });

    it("the signing-service example's policy file loads: schema, key and CEL (provenant policy check)", async () => {
      const example = resolve(here, "../../../examples/gitlab/signing-service");
      const checked = await provenant(example, "policy", "check", ".provenant/release.yaml");
      expect(checked.output).toMatch(/is valid/);
      expect(checked.output).toMatch(/key signing-service [0-9a-f]{64} \(service\)/);
      expect(checked.code).toBe(0);
    });

    it("without a reachable server the attest job fails and signs nothing with the key it could read", async () => {
      const pipeline = await repository("signing-service-down", {
        // Port 9 (discard) on loopback: nothing listens there.
        attest: { signing_server_url: "http://127.0.0.1:9", signing_audience: AUDIENCE },
        verify: { source_branch: "main", allow_any_source: true },
      });
      const token = await issuer.sign(hostedJobClaims(pipeline.commit), { audience: AUDIENCE });
      const result = await gitlabCi(pipeline, ["--variable", `PROVENANT_SIGNING_TOKEN=${token}`]);
      expect(result.output).toMatch(/FAIL\s+provenant-attest/);
      expect(result.output).toMatch(/provenant: error \[[A-Z_]+\]: .*127\.0\.0\.1:9/);
      expect(result.code).not.toBe(0);
      // No bundle was written, by the server's key or the project's.
      expect(existsSync(join(pipeline.dir, "provenance.sigstore.json"))).toBe(false);
    });

    it("the verify job fails on a policy the provenance does not meet, naming the rule in the job log", async () => {
      const pipeline = await repository("policy-denied", {
        verify: { policy: ".provenant/release.yaml" },
        files: {
          ".provenant/release.yaml": policyFile("release-key", { service: false, minimumLevel: 1, branch: "release/*" }),
          ".provenant/keys/release-key.pub": keys.publicKeyPem,
        },
      });
      const result = await gitlabCi(pipeline);
      expect(result.output).toMatch(/PASS\s+provenant-attest/);
      expect(result.output).toMatch(/FAIL\s+rule app from acme/);
      expect(result.output).toMatch(/the provenance was not built by the signing service/);
      expect(result.output).toMatch(/DENIED/);
      expect(result.output).toMatch(/FAIL\s+provenant-verify/);
      expect(result.code).not.toBe(0);
    });
  });
});
