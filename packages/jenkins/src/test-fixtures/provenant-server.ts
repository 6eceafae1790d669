import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CLI } from "./groovy-stub.js";

export interface RunningServer {
  url: string;
  /** The signing service's public key (for verify --service-key). */
  servicePublicKey: string;
  stop(): Promise<void>;
}

/**
 * The real `provenant server` (the built CLI, as an operator runs it) on
 * 127.0.0.1 and a free port, with `signing` as its config file's section.
 * A child process, not an import: @provenant/server depends on this package.
 */
export async function startProvenantServer(dataDir: string, signing: unknown): Promise<RunningServer> {
  await mkdir(dataDir, { recursive: true });
  await writeFile(join(dataDir, "server.json"), JSON.stringify({ signing }));
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("PROVENANT_")));
  const child = spawn(process.execPath, [CLI, "server", "--data", dataDir, "--listen", "127.0.0.1:0"], { env, stdio: ["ignore", "pipe", "pipe"] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    let err = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
      const found = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (found) resolve(found[1]!);
    });
    child.stderr!.on("data", (chunk: Buffer) => {
      err += chunk.toString("utf8");
    });
    child.once("exit", (code) => reject(new Error(`provenant server exited with ${code} before listening: ${err.slice(0, 2000)}`)));
  });
  return { url, servicePublicKey: join(dataDir, "signing.pub"), stop: () => stopChild(child) };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}
