import { execFile } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { generateKeyPair } from "@provenant/core";
import { type LayoutImage, makeOciLayout, removeLayouts, skopeoCopy, startRegistry, type TestRegistry } from "@provenant/oci/testing";
import { startTestIssuer, type TestIssuer } from "@provenant/oidc/testing";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pushTag, runnerEnvironment, type Scenario } from "../test-support/scenarios.js";

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

// The runner passes inputs as INPUT_<NAME> variables and reads outputs and
// the summary from the files named by GITHUB_OUTPUT / GITHUB_STEP_SUMMARY.
async function runAction(action: (typeof ACTIONS)[number], inputs: Record<string, string>, env: Record<string, string>, cwd: string) {
  const output = join(cwd, `output-${Math.random()}`);
  const summary = join(cwd, `summary-${Math.random()}`);
  await writeFile(output, "");
  await writeFile(summary, "");
  const inputEnv = Object.fromEntries(Object.entries(inputs).map(([name, value]) => [`INPUT_${name.toUpperCase()}`, value]));
  const result = await run(process.execPath, [join(packageDir, action, "dist/index.js")], {
    cwd,
    // HOME without a docker config: registry credentials come from the inputs or nowhere.
    env: { PATH: process.env.PATH, HOME: join(cwd, "no-home"), ...env, ...inputEnv, GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: summary },
  }).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
  );
  return { ...result, outputs: await readFile(output, "utf8"), summary: await readFile(summary, "utf8") };
}

const MASK = "::add-mask::";

/** The values the step masked before its first other line, and the lines after. */
function maskedPrefix(stdout: string): { masked: string[]; rest: string } {
  const lines = stdout.split("\n");
  const firstOther = lines.findIndex((line) => !line.startsWith(MASK));
  return { masked: lines.slice(0, firstOther).map((line) => line.slice(MASK.length)), rest: lines.slice(firstOther).join("\n") };
}

/** The `::add-mask::` values that are JWTs this issuer signed (the job's ID token). */
function maskedTokensOf(stdout: string, issuer: TestIssuer): string[] {
  return stdout
    .split("\n")
    .filter((line) => line.startsWith(MASK))
    .map((line) => line.slice(MASK.length))
    .filter((value) => {
      try {
        return decodeJwt(value).iss === issuer.issuer;
      } catch {
        return false;
      }
    });
}

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterAll(async () => {
  await issuer?.close();
});

/** A job granted `id-token: write`: the local issuer serves its token, named by the oidc-issuer input. */
function tokenJobEnvironment(scenario: Scenario): Record<string, string> {
  issuer.setTokenEndpointClaims(scenario.claims);
  return { ...runnerEnvironment(scenario), ACTIONS_ID_TOKEN_REQUEST_URL: issuer.tokenUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: issuer.requestToken };
}

describe("the attest bundle as the runner starts it", () => {
  it("masks every line of the signing key, its password, the API token and the registry password before printing anything else, and the job's ID token as soon as it has it", async () => {
    const keys = generateKeyPair("ecdsa-p256", "s3cret-pass-phrase");
    const cwd = await mkdtemp(join(tmpdir(), "provenant-runner-"));
    await writeFile(join(cwd, "app.bin"), "artifact");
    const { code, stdout, outputs, summary } = await runAction(
      "attest",
      {
        "subject-path": "app.bin",
        "signing-key": keys.privateKeyPem,
        "key-password": "s3cret-pass-phrase",
        "registry-password": "reg-Passw0rd",
        "github-token": "ghs_mask_me",
        "bundle-path": "out.sigstore.json",
        "oidc-issuer": issuer.issuer,
      },
      // Port 1 refuses at once: the start time is skipped with a warning.
      { ...tokenJobEnvironment(pushTag()), GITHUB_API_URL: "http://127.0.0.1:1" },
      cwd,
    );
    expect(code, stdout).toBe(0);
    const { masked, rest } = maskedPrefix(stdout);
    const secretLines = keys.privateKeyPem.split("\n").filter((line) => line && !line.startsWith("-----"));
    expect(masked).toEqual(expect.arrayContaining([...secretLines, "s3cret-pass-phrase", "reg-Passw0rd", "ghs_mask_me"]));
    for (const secret of [...secretLines, "s3cret-pass-phrase", "reg-Passw0rd", "ghs_mask_me"]) expect(rest).not.toContain(secret);

    // The ID token comes later (after hashing), so it is masked later; but
    // masked it is, and nothing else the step prints holds it.
    const [token, ...more] = maskedTokensOf(stdout, issuer);
    expect(token, "the job's ID token was never masked").toBeDefined();
    expect(more).toEqual([]);
    expect(stdout.split("\n").filter((line) => line.includes(token!))).toEqual([`${MASK}${token}`]);
    expect(await readFile(join(cwd, "out.sigstore.json"), "utf8")).not.toContain(token!);

    expect(outputs).toMatch(/^bundle-path<<.*\n.*out\.sigstore\.json\n/m);
    expect(outputs).toContain('[{"name":"app.bin","digest":{"sha256":');
    expect(summary).toContain("| app.bin | `sha256:");
    expect(summary).toContain("from the job's verified OIDC token");
  });

  it("fails the step with the coded reason when a glob matches nothing", async () => {
    const keys = generateKeyPair("ecdsa-p256");
    const cwd = await mkdtemp(join(tmpdir(), "provenant-runner-"));
    const { code, stdout } = await runAction("attest", { "subject-path": "build/*.tgz", "signing-key": keys.privateKeyPem }, runnerEnvironment(pushTag()), cwd);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^::error::\[NO_SUBJECTS_MATCHED\] build\/\*\.tgz: matches no file/m);
  });
});

describe("the verify bundle as the runner starts it", () => {
  const keys = generateKeyPair("ecdsa-p256");
  let cwd: string;
  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), "provenant-runner-"));
    await writeFile(join(cwd, "app.tgz"), "release archive");
    await writeFile(join(cwd, "provenant.pub"), keys.publicKeyPem);
    const attested = await runAction(
      "attest",
      { "subject-path": "app.tgz", "signing-key": keys.privateKeyPem, "bundle-path": "app.sigstore.json", "oidc-issuer": issuer.issuer },
      tokenJobEnvironment(pushTag()),
      cwd,
    );
    expect(attested.code, attested.stdout).toBe(0);
  });
  const verifyInputs = { "bundle-path": "app.sigstore.json", "subject-path": "app.tgz", "public-key": "provenant.pub" };

  it("passes a bundle file that meets the policy, with the verified and slsa-level outputs", async () => {
    const { code, stdout, outputs, summary } = await runAction(
      "verify",
      { ...verifyInputs, "source-uri": "github.com/Codertocat/*", "source-tag": "simple-tag", "slsa-level": "2" },
      runnerEnvironment(pushTag()),
      cwd,
    );
    expect(code, stdout).toBe(0);
    expect(stdout).toMatch(/^verified: SLSA Build L2, signed by [0-9a-f]{64}$/m);
    expect(outputs).toMatch(/^verified<<.*\ntrue\n/m);
    expect(outputs).toMatch(/^slsa-level<<.*\n2\n/m);
    expect(summary).toMatch(/Provenance verified/);
  });

  it("fails the job with the report's reasons when the policy is not met", async () => {
    const { code, stdout, outputs } = await runAction("verify", { ...verifyInputs, "source-branch": "main" }, runnerEnvironment(pushTag()), cwd);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^::error::provenance did not verify:%0A.*source branch/m);
    expect(outputs).toMatch(/^verified<<.*\nfalse\n/m);
  });

  it("with a policy file (CEL rule included), logs each rule, writes the table and fails on a denial", async () => {
    const policy = (tag: string) =>
      [
        "apiVersion: provenant.dev/v1",
        "trust: { keys: [{ name: ci, file: provenant.pub }] }",
        "rules:",
        "  - name: tagged releases",
        '    provenance: { sourceUris: ["github.com/Codertocat/*"], minimumLevel: 2 }',
        "    cel:",
        `      - expr: report.source.tag == "${tag}"`,
        "        message: not built from the release tag",
        "",
      ].join("\n");
    await writeFile(join(cwd, "allow.yaml"), policy("simple-tag"));
    await writeFile(join(cwd, "deny.yaml"), policy("v9.9.9"));
    const inputs = { "bundle-path": "app.sigstore.json", "subject-path": "app.tgz" };
    const allowed = await runAction("verify", { ...inputs, policy: "allow.yaml" }, runnerEnvironment(pushTag()), cwd);
    expect(allowed.code, allowed.stdout).toBe(0);
    expect(allowed.stdout).toMatch(/^ {2}PASS {2}rule tagged releases: /m);
    expect(allowed.stdout).toMatch(/^ {8}pass {2}cel +holds: /m);
    expect(allowed.outputs).toMatch(/^slsa-level<<.*\n2\n/m);
    expect(allowed.summary).toContain("| ✅ | tagged releases | |");
    const denied = await runAction("verify", { ...inputs, policy: "deny.yaml" }, runnerEnvironment(pushTag()), cwd);
    expect(denied.code).toBe(1);
    expect(denied.stdout).toMatch(/^::error::the policy denied:%0A.*not built from the release tag/m);
    expect(denied.summary).toMatch(/\| ❌ \| \| cel \| not built from the release tag/);
  });
});

describe("push-to-registry and verify by image, as the runner starts the bundles", () => {
  let registry: TestRegistry;
  let image: LayoutImage;
  const keys = generateKeyPair("ecdsa-p256");
  beforeAll(async () => {
    registry = await startRegistry({ basicAuth: true });
    image = await makeOciLayout("github-bundle-push");
    await skopeoCopy(image, registry, "acme/app");
  }, 60_000);
  afterAll(async () => {
    removeLayouts();
    await registry?.close();
  });

  /** The registry password is masked before the step prints anything else, and never shown in clear. */
  function expectPasswordMasked(stdout: string) {
    const { password } = registry.credentials!;
    const { masked, rest } = maskedPrefix(stdout);
    expect(masked).toContain(password);
    expect(rest).not.toContain(password);
  }

  it("pushes the bundle beside the image, and the verify gate finds it there", async () => {
    const cwd = await mkdtemp(join(tmpdir(), "provenant-runner-"));
    await writeFile(join(cwd, "provenant.pub"), keys.publicKeyPem);
    const name = `${registry.host}/acme/app`;
    const credentials = { "registry-username": registry.credentials!.username, "registry-password": registry.credentials!.password };
    const attested = await runAction(
      "attest",
      {
        "subject-name": name,
        "subject-digest": image.digest,
        "push-to-registry": "true",
        "signing-key": keys.privateKeyPem,
        "oidc-issuer": issuer.issuer,
        ...credentials,
      },
      tokenJobEnvironment(pushTag()),
      cwd,
    );
    expect(attested.code, attested.stdout).toBe(0);
    expectPasswordMasked(attested.stdout);
    expect(attested.stdout).toMatch(new RegExp(`^pushed attestation sha256:[0-9a-f]{64} beside ${name}@${image.digest} \\(referrers-tag\\)$`, "m"));
    expect(attested.outputs).toContain(`"image":"${name}@${image.digest}"`);

    const verified = await runAction(
      "verify",
      { image: `${name}:${image.tag}`, "public-key": "provenant.pub", "source-tag": "simple-tag", "slsa-level": "2", ...credentials },
      runnerEnvironment(pushTag()),
      cwd,
    );
    expect(verified.code, verified.stdout).toBe(0);
    expectPasswordMasked(verified.stdout);
    expect(verified.stdout).toMatch(/^verified: SLSA Build L2/m);
    expect(verified.summary).toContain(`${name}:${image.tag}`);
  });
});
