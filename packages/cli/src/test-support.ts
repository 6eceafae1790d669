import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { attest, BUILD_TYPES, FACTS_SOURCE_FIELD, keySigner } from "@provenant/core";
import type { Io } from "./io.js";
import { main } from "./main.js";

/** A scratch directory removed by the returned cleanup. */
export async function scratch(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "provenant-cli-"));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Runs the CLI in-process and captures what a user would see. */
export async function runCli(
  args: string[],
  options: { cwd: string; env?: Record<string, string | undefined>; isTTY?: boolean; stdoutIsTTY?: boolean },
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io: Io = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    env: options.env ?? {},
    cwd: options.cwd,
    isTTY: options.isTTY ?? false,
    stdoutIsTTY: options.stdoutIsTTY ?? false,
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

/**
 * Writes `dir/file`: a bundle over `dir/app.tgz` holding "the artifact",
 * with GitLab provenance as the signing service writes it (hosted runner,
 * service-oidc-token facts), signed by `privateKey`.
 */
export async function writeServiceBuiltBundle(dir: string, privateKey: Parameters<typeof keySigner>[0], file = "bundle.json"): Promise<void> {
  const digest = createHash("sha256").update("the artifact").digest("hex");
  const provenance = {
    buildDefinition: {
      buildType: BUILD_TYPES.gitlab,
      externalParameters: { source: "https://gitlab.example.com/acme/app", ref: "refs/heads/main" },
      resolvedDependencies: [{ uri: "git+https://gitlab.example.com/acme/app@refs/heads/main", digest: { gitCommit: "a".repeat(40) } }],
    },
    runDetails: {
      builder: { id: "https://gitlab.example.com/-/runners/gitlab-hosted" },
      metadata: { invocationId: "https://gitlab.example.com/acme/app/-/jobs/7", [FACTS_SOURCE_FIELD]: "service-oidc-token" },
    },
  };
  const { bundle } = await attest([{ name: "app.tgz", digest: { sha256: digest } }], provenance, keySigner(privateKey));
  await writeFile(join(dir, file), JSON.stringify(bundle));
}
