import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parsePolicyFile } from "@provenant/policy";
import { parse } from "yaml";

// Azure Pipelines rejects a run whose task step passes an input the task's
// task.json does not declare, and a `$(step.variable)` naming an output the
// step never sets expands to the literal text. Nothing runs the example
// pipeline here, so both are checked against the two task.json files.

const packageRoot = resolve(import.meta.dirname, "../..");
const repositoryRoot = resolve(packageRoot, "../..");

interface TaskInput {
  name: string;
  type: string;
  required?: boolean;
  defaultValue?: string;
  options?: Record<string, string>;
}
interface TaskManifest {
  name: string;
  version: { Major: number };
  inputs: TaskInput[];
  outputVariables: { name: string }[];
}
interface Step {
  task?: string;
  name?: string;
  inputs?: Record<string, unknown>;
}

async function manifests(): Promise<Map<string, TaskManifest>> {
  const byReference = new Map<string, TaskManifest>();
  for (const task of ["ProvenantAttest", "ProvenantVerify"]) {
    const manifest = JSON.parse(await readFile(resolve(packageRoot, "tasks", task, "task.json"), "utf8")) as TaskManifest;
    byReference.set(`${manifest.name}@${manifest.version.Major}`, manifest);
  }
  return byReference;
}

/** The example pipeline's steps, and the YAML step lists in the README's code blocks. */
async function pipelines(): Promise<{ where: string; steps: Step[] }[]> {
  const example = parse(await readFile(resolve(repositoryRoot, "examples/azure/azure-pipelines.yml"), "utf8")) as { steps: Step[] };
  const service = parse(await readFile(resolve(repositoryRoot, "examples/azure/azure-pipelines-service.yml"), "utf8")) as { steps: Step[] };
  const readme = await readFile(resolve(packageRoot, "README.md"), "utf8");
  const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match, i) => ({
    where: `README.md yaml block ${i + 1}`,
    steps: parse(match[1]!) as Step[],
  }));
  return [
    { where: "examples/azure/azure-pipelines.yml", steps: example.steps },
    { where: "examples/azure/azure-pipelines-service.yml", steps: service.steps },
    ...blocks,
  ];
}

describe("the example pipeline and the README snippets", () => {
  it("pass each Provenant task only inputs its task.json declares, with values its type accepts", async () => {
    const tasks = await manifests();
    let checked = 0;
    for (const { where, steps } of await pipelines()) {
      for (const step of steps.filter((s) => s.task?.startsWith("Provenant"))) {
        const manifest = tasks.get(step.task!);
        expect(manifest, `${where}: ${step.task} is one of the extension's tasks`).toBeDefined();
        const declared = new Map(manifest!.inputs.map((input) => [input.name, input]));
        for (const [name, value] of Object.entries(step.inputs ?? {})) {
          const input = declared.get(name);
          expect(input, `${where}: ${step.task} input ${name} is declared`).toBeDefined();
          if (input!.type === "pickList") expect(Object.keys(input!.options ?? {}), `${where}: ${name}`).toContain(String(value));
          if (input!.type === "boolean") expect(["true", "false"], `${where}: ${name}`).toContain(String(value));
          checked++;
        }
        for (const input of manifest!.inputs.filter((i) => i.required && !i.defaultValue)) {
          expect(step.inputs, `${where}: ${step.task} gets required input ${input.name}`).toHaveProperty(input.name);
        }
      }
    }
    expect(checked).toBeGreaterThan(10);
  });

  it("read only output variables the named Provenant step sets, after that step", async () => {
    const tasks = await manifests();
    let checked = 0;
    for (const { where, steps } of await pipelines()) {
      const named = new Map<string, { manifest: TaskManifest; index: number }>();
      steps.forEach((step, index) => {
        if (step.name && step.task && tasks.has(step.task)) named.set(step.name, { manifest: tasks.get(step.task)!, index });
      });
      steps.forEach((step, index) => {
        for (const [, stepName, variable] of JSON.stringify(step).matchAll(/\$\(([A-Za-z_][\w]*)\.([\w]+)\)/g)) {
          const producer = named.get(stepName!);
          if (!producer) continue; // another task's output (DownloadSecureFile's secureFilePath) or a predefined variable
          expect(producer.manifest.outputVariables.map((o) => o.name), `${where}: $(${stepName}.${variable})`).toContain(variable);
          expect(producer.index, `${where}: $(${stepName}.${variable}) is read after step ${stepName}`).toBeLessThan(index);
          checked++;
        }
      });
    }
    expect(checked).toBeGreaterThan(3);
  });

  it("expect a builder id written out, not one built from a variable the checked build can set", async () => {
    let checked = 0;
    for (const { where, steps } of await pipelines()) {
      for (const step of steps.filter((s) => s.task === "ProvenantVerify@1" && s.inputs?.builderId !== undefined)) {
        expect(String(step.inputs!.builderId), `${where}: ProvenantVerify@1 builderId`).toMatch(
          /^https:\/\/dev\.azure\.com\/[A-Za-z0-9-]+\/_agents\/(?:microsoft|self)-hosted$/,
        );
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(2);
  });

  it("verify and deploy images by the digest the attest step output, never by a tag", async () => {
    for (const { where, steps } of await pipelines()) {
      for (const step of steps.filter((s) => s.task === "ProvenantVerify@1" && s.inputs?.image !== undefined)) {
        expect(String(step.inputs!.image), `${where}: ProvenantVerify@1 image`).toMatch(/^\$\(\w+\.imageDigests\)$|@sha256:[0-9a-f]{64}$/);
      }
    }
    const example = await readFile(resolve(repositoryRoot, "examples/azure/azure-pipelines.yml"), "utf8");
    expect(example).toMatch(/IMAGE: \$\(verifyImage\.imageDigest\)/);
  });

  it("sign through the service with no key beside it, and gate on a policy file that parses and trusts the service key", async () => {
    const { steps } = parse(await readFile(resolve(repositoryRoot, "examples/azure/azure-pipelines-service.yml"), "utf8")) as { steps: Step[] };
    const attest = steps.find((s) => s.task === "ProvenantAttest@1");
    expect(attest?.inputs).toHaveProperty("serverUrl");
    expect(Object.keys(attest?.inputs ?? {}).filter((name) => name.startsWith("signingKey"))).toEqual([]);
    const gate = steps.find((s) => s.task === "ProvenantVerify@1");
    expect(gate?.inputs?.policy).toBe("policies/release.yaml");
    const text = await readFile(resolve(repositoryRoot, "examples/azure/policies/release.yaml"), "utf8");
    const policy = parsePolicyFile(text, "examples/azure/policies/release.yaml");
    expect(policy.trust?.keys).toEqual([expect.objectContaining({ name: "provenant-service", service: true })]);
  });
});
