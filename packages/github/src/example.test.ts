import { execFile } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { attest, generateKeyPair, keyIdOf, keySigner, parsePolicy, privateKeyFromPem, publicKeyFromPem, verify } from "@provenant/core";
import { parseImageReference } from "@provenant/oci";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { provenance } from "./provenance.js";
import { gheCom, pushTag, type Scenario } from "./test-support/scenarios.js";

// examples/github/release.yml is what users copy. GitHub rejects a `with:`
// key the action does not declare only with a warning, and a gate whose
// policy cannot match fails only on the first real release; both are
// checked here instead.
const packageDir = resolve(import.meta.dirname, "..");
const EXAMPLE = resolve(packageDir, "../../examples/github/release.yml");
/** The variant: provenance from the signing service (server-url), a policy file for the gate. */
const SERVICE_EXAMPLE = resolve(packageDir, "../../examples/github/release-signing-service.yml");
const SERVICE_POLICY = resolve(packageDir, "../../examples/github/.github/provenant/release.yaml");

interface ActionYml {
  inputs: Record<string, { required?: boolean; default?: string }>;
  outputs: Record<string, unknown>;
}
interface Step {
  id?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, string | number | boolean>;
}
interface Workflow {
  jobs: Record<string, { steps: Step[]; outputs?: Record<string, string> }>;
}

const actionYml = async (name: string) => parse(await readFile(resolve(packageDir, name, "action.yml"), "utf8")) as ActionYml;
const workflow = async (file = EXAMPLE) => parse(await readFile(file, "utf8")) as Workflow;

/** The steps of the example that use one of this package's actions, with which. */
async function ourSteps(file = EXAMPLE) {
  const steps: { job: string; action: "attest" | "verify"; step: Step }[] = [];
  for (const [job, { steps: jobSteps }] of Object.entries((await workflow(file)).jobs)) {
    for (const step of jobSteps) {
      const action = /\/packages\/github\/(attest|verify)@/.exec(step.uses ?? "")?.[1] as "attest" | "verify" | undefined;
      if (action) steps.push({ job, action, step });
    }
  }
  return steps;
}

describe("examples/github/release.yml", () => {
  it.each([
    [EXAMPLE, ["attest", "attest", "verify", "verify"]],
    [SERVICE_EXAMPLE, ["attest", "verify"]],
  ])("%s passes only inputs the actions declare, and every required one", async (file, actions) => {
    const steps = await ourSteps(file);
    expect(steps.map((s) => s.action).sort()).toEqual(actions);
    for (const { job, action, step } of steps) {
      const { inputs } = await actionYml(action);
      const given = Object.keys(step.with ?? {});
      for (const key of given) expect(Object.keys(inputs), `${job}: ${action} input ${key}`).toContain(key);
      for (const [input, spec] of Object.entries(inputs)) {
        // verify needs bundle-path or image; the action checks that itself.
        if (spec.required && spec.default === undefined) expect(given, `${job}: ${action} needs ${input}`).toContain(input);
      }
    }
  });

  it("reads only outputs the actions declare", async () => {
    const { jobs } = await workflow();
    const text = await readFile(EXAMPLE, "utf8");
    for (const { job, action, step } of await ourSteps()) {
      if (!step.id) continue;
      const { outputs } = await actionYml(action);
      for (const [, output] of text.matchAll(new RegExp(`steps\\.${step.id}\\.outputs\\.([a-z-]+)`, "g"))) {
        expect(Object.keys(outputs), `${job}: steps.${step.id}.outputs.${output}`).toContain(output);
      }
    }
    expect(Object.keys(jobs)).toContain("image");
  });

  /** A v1.2.0 tag release of this workflow, on the given server, from a verified token. */
  function release(server: Scenario): Scenario {
    const scenario = { ...server, claims: { ...server.claims } };
    const ref = "refs/tags/v1.2.0";
    const workflowRef = `${scenario.claims.repository}/.github/workflows/release.yml@${ref}`;
    Object.assign(scenario.claims, { ref, ref_type: "tag", workflow_ref: workflowRef, job_workflow_ref: workflowRef });
    return scenario;
  }

  /** `${{ github.server_url }}` and `${{ github.repository }}` as the runner expands them; anything else is not expected in a policy. */
  function expand(value: string, scenario: Scenario): string {
    return value.replace(/\$\{\{\s*([a-z_.]+)\s*\}\}/g, (_, name: string) => {
      if (name === "github.server_url") return scenario.serverUrl;
      if (name === "github.repository") return scenario.claims.repository;
      throw new Error(`the example's policy uses \${{ ${name} }}, which this test does not expand`);
    });
  }

  const POLICY_INPUTS: Record<string, string> = {
    "builder-id": "builderId",
    "source-uri": "sourceUri",
    "source-versioned-tag": "sourceVersionedTag",
    "source-branch": "sourceBranch",
    "source-tag": "sourceTag",
    "slsa-level": "minimumLevel",
  };

  it.each([
    ["github.com", pushTag(), "ghcr.io"],
    ["a GHE.com tenant", { ...pushTag(), serverUrl: gheCom().serverUrl }, "containers.octocorp.ghe.com"],
  ])("its image job names the image in the container registry of %s and logs in there", async (_name, server, registry) => {
    const { jobs } = await workflow();
    const steps = jobs.image!.steps;
    const naming = steps.find((s) => s.id === "name")!;
    // Run the step's script as the runner does a `run:` step (shell: bash).
    const dir = await mkdtemp(join(tmpdir(), "provenant-example-"));
    await writeFile(join(dir, "step.sh"), naming.run!);
    await writeFile(join(dir, "output"), "");
    const env = Object.fromEntries(Object.entries(naming.env ?? {}).map(([name, value]) => [name, expand(value, server)]));
    await promisify(execFile)("bash", ["--noprofile", "--norc", "-eo", "pipefail", join(dir, "step.sh")], {
      env: { PATH: process.env.PATH, ...env, GITHUB_OUTPUT: join(dir, "output") },
    });
    const outputs = Object.fromEntries((await readFile(join(dir, "output"), "utf8")).trim().split("\n").map((line) => line.split("=", 2)));
    expect(outputs).toEqual({ registry, image: `${registry}/codertocat/hello-world` });
    expect(parseImageReference(outputs.image!)).toMatchObject({ registry, repository: "codertocat/hello-world" });

    // Every step of the job takes the registry from that step, none names one itself.
    const login = steps.find((s) => s.uses?.startsWith("docker/login-action@"))!;
    expect(login.with?.registry).toMatch(/^\$\{\{ steps\.name\.outputs\.registry \}\}$/);
    for (const step of steps) expect(JSON.stringify(step.with ?? {})).not.toMatch(/ghcr\.io|\.ghe\.com/);
  });

  it.each([
    ["github.com", pushTag()],
    ["a GHE.com tenant", { ...pushTag(), serverUrl: gheCom().serverUrl }],
  ])("its verify gates pass a release built on %s (no hard-coded host)", async (_name, server) => {
    const scenario = release(server);
    const keys = generateKeyPair("ecdsa-p256");
    const publicKey = publicKeyFromPem(keys.publicKeyPem);
    const digest = { sha256: "d".repeat(64) };
    const { bundle } = await attest(
      [{ name: "app.tgz", digest }],
      provenance({ serverUrl: scenario.serverUrl, claims: scenario.claims, factsSource: "oidc-token", issuer: "https://token.actions.example" }),
      keySigner(privateKeyFromPem(keys.privateKeyPem)),
    );
    for (const { step } of (await ourSteps()).filter((s) => s.action === "verify")) {
      const fields = Object.entries(step.with ?? {}).flatMap(([input, value]) => {
        const field = POLICY_INPUTS[input];
        if (!field) return [];
        const text = expand(String(value), scenario);
        return [[field, field === "minimumLevel" ? Number(text) : text]];
      });
      const policy = parsePolicy(Object.fromEntries(fields));
      expect(policy.sourceUri, "the gate checks the source").toBeDefined();
      const report = verify(bundle, { trustedKeys: [{ publicKey, keyId: keyIdOf(publicKey) }], artifactDigests: [digest], policy });
      expect(report.checks.filter((c) => c.status === "fail")).toEqual([]);
      expect(report.verified).toBe(true);
    }
  });
});

describe("examples/github/release-signing-service.yml and its policy", () => {
  /** A v1.2.0 tag release of acme/app's release workflow, as GitHub's token says it. */
  function releaseClaims(runnerEnvironment = "github-hosted") {
    const ref = "refs/tags/v1.2.0";
    const workflowRef = `acme/app/.github/workflows/release.yml@${ref}`;
    return {
      ...pushTag().claims,
      sub: `repo:acme/app:ref:${ref}`,
      repository: "acme/app",
      repository_owner: "acme",
      ref,
      ref_type: "tag",
      workflow_ref: workflowRef,
      job_workflow_ref: workflowRef,
      runner_environment: runnerEnvironment,
    };
  }

  it("attests through the server with no signing key, and gates with the policy file it ships", async () => {
    const steps = await ourSteps(SERVICE_EXAMPLE);
    const attest = steps.find((s) => s.action === "attest")!.step.with!;
    expect(attest["server-url"]).toMatch(/^\$\{\{ vars\.PROVENANT_SERVER_URL \}\}$/);
    expect(attest["signing-key"]).toBeUndefined();
    const gate = steps.find((s) => s.action === "verify")!.step.with!;
    expect(resolve(packageDir, "../../examples/github", String(gate.policy))).toBe(SERVICE_POLICY);
    expect(gate["public-key"]).toBeUndefined();
  });

  it("the policy allows the service's provenance of a release and denies a key-signed or self-hosted one", async () => {
    const { evaluatePolicy, loadPolicy } = await import("@provenant/policy");
    const service = generateKeyPair("ecdsa-p256");
    // The example's placeholder key replaced by this test's, as a user replaces it with the server's signing.pub.
    const policy = await loadPolicy(SERVICE_POLICY, {
      cacheDir: join(tmpdir(), "provenant-rego"),
      readFile: async (path) => {
        if (path !== "keys/signing-service.pub") throw new Error(`the example policy reads ${path}`);
        return Buffer.from(service.publicKeyPem);
      },
    });
    const digest = { sha256: "e".repeat(64) };
    const signed = async (factsSource: string, runnerEnvironment?: string) => {
      const fields = provenance({ serverUrl: "https://github.com", claims: releaseClaims(runnerEnvironment), factsSource: factsSource as "oidc-token", issuer: "https://token.actions.githubusercontent.com" });
      return (await attest([{ name: "dist/app-1.2.0.tgz", digest }], fields, keySigner(privateKeyFromPem(service.privateKeyPem)))).bundle;
    };
    const decide = async (bundle: unknown) => evaluatePolicy(policy, { name: "dist/app-1.2.0.tgz", digest }, [bundle], { now: new Date("2026-12-01T00:00:00Z") });

    const allowed = await decide(await signed("service-oidc-token"));
    expect(allowed.rules.flatMap((r) => r.checks).filter((c) => !c.pass)).toEqual([]);
    expect(allowed.allowed).toBe(true);
    // The same key signing what a job built itself (a key a step could hold): denied by the facts-source rule.
    const keySigned = await decide(await signed("oidc-token"));
    expect(keySigned.allowed).toBe(false);
    expect(keySigned.rules[0]!.reason).toMatch(/not built by the signing service/);
    const selfHosted = await decide(await signed("service-oidc-token", "self-hosted"));
    expect(selfHosted.allowed).toBe(false);
  });
});
