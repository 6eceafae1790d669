import { cp, mkdir, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { defineConfig } from "tsup";

const require = createRequire(import.meta.url);
const TASKS = { ProvenantAttest: "src/tasks/attest/index.ts", ProvenantVerify: "src/tasks/verify/index.ts" };
const OUT = "dist/extension";

/**
 * The Azure DevOps extension: each task folder gets its task.json and one
 * self-contained `index.js`. The agent runs `node index.js` from the folder
 * with no node_modules, so every dependency is bundled, as CommonJS for the
 * Node 20 and 24 handlers; a package.json in the folder says so, whatever
 * package.json sits above it.
 */
export default defineConfig({
  entry: Object.fromEntries(Object.entries(TASKS).map(([task, source]) => [`tasks/${task}/index`, source])),
  outDir: OUT,
  format: ["cjs"],
  outExtension: () => ({ js: ".js" }),
  platform: "node",
  target: "node20",
  noExternal: [/.*/],
  splitting: false,
  treeshake: true,
  minify: false,
  clean: true,
  define: { PROVENANT_VERSION: JSON.stringify((require("./package.json") as { version: string }).version) },
  async onSuccess() {
    // The task library reads its messages (lib.json, Strings/) next to its own
    // module; bundled, that is the task folder.
    const taskLib = dirname(require.resolve("azure-pipelines-task-lib/package.json"));
    for (const task of Object.keys(TASKS)) {
      const folder = join(OUT, "tasks", task);
      await mkdir(folder, { recursive: true });
      await cp(join("tasks", task, "task.json"), join(folder, "task.json"));
      await writeFile(join(folder, "package.json"), `${JSON.stringify({ private: true, type: "commonjs" }, null, 2)}\n`);
      await cp(join(taskLib, "lib.json"), join(folder, "lib.json"));
      await cp(join(taskLib, "Strings"), join(folder, "Strings"), { recursive: true });
    }
    await cp("vss-extension.json", join(OUT, "vss-extension.json"));
    await cp("README.md", join(OUT, "README.md"));
  },
});
