import { execFile } from "node:child_process";
import { access, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import JSZip from "jszip";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const packageRoot = resolve(import.meta.dirname, "../..");
const TASKS = {
  ProvenantAttest: "0f472461-15ba-40a4-993b-3e897e36d131",
  ProvenantVerify: "ab060175-72fa-4bfc-a8d3-56e677aee243",
};

let out: string;
let vsix: JSZip;

beforeAll(async () => {
  const staged = join(packageRoot, "dist", "extension", "vss-extension.json");
  await access(staged).catch(() => {
    throw new Error(`${staged} is missing: the extension is not staged; run \`pnpm --filter @provenant/azure-pipelines build\` first`);
  });
  out = await mkdtemp(join(tmpdir(), "provenant-vsix-"));
  const tfx = join(packageRoot, "node_modules", ".bin", "tfx");
  // What `pnpm package` runs, on the extension folder the build staged.
  await promisify(execFile)(
    tfx,
    ["extension", "create", "--root", join(packageRoot, "dist", "extension"), "--manifest-globs", "vss-extension.json", "--output-path", join(out, "provenant.vsix"), "--no-prompt"],
    { timeout: 120_000, env: { ...process.env, TFX_TRACE: "" } },
  );
  vsix = await JSZip.loadAsync(await readFile(join(out, "provenant.vsix")));
}, 180_000);

afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

async function text(path: string): Promise<string> {
  const entry = vsix.file(path);
  if (!entry) throw new Error(`${path} is not in the vsix; it holds ${Object.keys(vsix.files).filter((f) => !f.includes("/Strings/")).join(", ")}`);
  return entry.async("string");
}

describe("the .vsix built with tfx-cli", () => {
  it("has a manifest naming the publisher, the extension and its version", async () => {
    const manifest = await text("extension.vsixmanifest");
    const { version } = JSON.parse(await readFile(join(packageRoot, "package.json"), "utf8")) as { version: string };
    const identity = /<Identity ([^>]*)\/>/.exec(manifest)?.[1] ?? "";
    const attributes = Object.fromEntries([...identity.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    expect(attributes).toMatchObject({ Id: "provenant", Publisher: "provenant", Version: version });
    expect(manifest).toContain('<InstallationTarget Id="Microsoft.VisualStudio.Services"');
  });

  it("contributes both tasks to the pipeline task catalogue", async () => {
    const contributions = (JSON.parse(await text("extension.vsomanifest")) as { contributions: { id: string; type: string; properties: { name: string } }[] }).contributions;
    expect(contributions.map((c) => [c.type, c.properties.name])).toEqual([
      ["ms.vss-distributed-task.task", "tasks/ProvenantAttest"],
      ["ms.vss-distributed-task.task", "tasks/ProvenantVerify"],
    ]);
  });

  for (const [task, id] of Object.entries(TASKS)) {
    it(`holds ${task}@1 with its fixed id, Node 24 and Node 20 handlers, documented inputs and a bundled entry`, async () => {
      const taskJson = JSON.parse(await text(`tasks/${task}/task.json`)) as {
        id: string;
        name: string;
        version: { Major: number };
        inputs: { name: string; helpMarkDown?: string }[];
        outputVariables: { name: string }[];
        execution: Record<string, { target: string }>;
      };
      expect(taskJson).toMatchObject({ id, name: task, version: { Major: 1 } });
      expect(Object.keys(taskJson.execution).sort()).toEqual(["Node20_1", "Node24"]);
      for (const handler of Object.values(taskJson.execution)) {
        expect(vsix.file(`tasks/${task}/${handler.target}`), `${task} ${handler.target}`).not.toBeNull();
      }
      expect(taskJson.inputs.filter((input) => !input.helpMarkDown).map((input) => input.name)).toEqual([]);
      expect(taskJson.outputVariables.length).toBeGreaterThan(0);
      // Bundled: the entry needs no node_modules on the agent.
      const entry = await text(`tasks/${task}/index.js`);
      expect(entry).not.toMatch(/require\("(?:@provenant|azure-pipelines-task-lib|azure-devops-node-api|zod|jose)[/"]/);
      expect(JSON.parse(await text(`tasks/${task}/package.json`))).toMatchObject({ type: "commonjs" });
      expect(vsix.file(`tasks/${task}/lib.json`)).not.toBeNull();
    });
  }
});
