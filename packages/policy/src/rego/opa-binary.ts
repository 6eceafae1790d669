import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { ProvenantError } from "@provenant/core";
import type { RegoEvaluator } from "./evaluator.js";
import { wasmEvaluator } from "./wasm.js";

const run = promisify(execFile);

export interface OpaBinaryOptions {
  /** The opa executable (default `opa`, looked up on PATH). */
  opa?: string;
  /** Where compiled bundles are kept, by content hash of module and entrypoint. */
  cacheDir: string;
}

/**
 * Compiles a `.rego` module to wasm with the real opa binary, once per
 * content (cached by SHA-256 of module + entrypoint), then evaluates it in
 * process: the same decisions as a prebuilt wasm bundle, without a build step.
 * Arguments go to execFile as a list: nothing from the policy reaches a shell.
 */
export async function opaModuleEvaluator(
  module: string,
  entrypoint: string,
  source: string,
  options: OpaBinaryOptions,
): Promise<RegoEvaluator> {
  const key = createHash("sha256").update(entrypoint).update("\0").update(module).digest("hex");
  const cached = join(options.cacheDir, `${key}.tar.gz`);
  let bundle = await readFile(cached).catch(() => undefined);
  if (!bundle) {
    await mkdir(options.cacheDir, { recursive: true, mode: 0o700 });
    const work = await mkdtemp(join(options.cacheDir, "build-"));
    try {
      await writeFile(join(work, "policy.rego"), module);
      const out = join(work, "bundle.tar.gz");
      try {
        await run(options.opa ?? "opa", ["build", "-t", "wasm", "-e", entrypoint, "-o", out, join(work, "policy.rego")], {
          maxBuffer: 1024 * 1024,
        });
      } catch (cause) {
        const error = cause as NodeJS.ErrnoException & { stderr?: string };
        if (error.code === "ENOENT") {
          throw new ProvenantError(
            "INVALID_POLICY",
            `${source}: compiling Rego needs the opa binary on PATH (go install github.com/open-policy-agent/opa@v1.22.4), or give a wasm bundle built with \`opa build -t wasm\``,
            { cause },
          );
        }
        const first = (error.stderr ?? "").split("\n").find((line) => line.trim() !== "") ?? "opa build failed";
        throw new ProvenantError("INVALID_POLICY", `${source}: Rego does not compile: ${first.trim()}`, { cause });
      }
      await rename(out, cached);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
    bundle = await readFile(cached);
  }
  const evaluator = await wasmEvaluator(bundle, entrypoint, source);
  return { ...evaluator, description: `${source} (opa-compiled, ${entrypoint})` };
}
