import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { brotliDecompressSync } from "node:zlib";
import * as core from "@provenant/core";
import * as oidc from "@provenant/oidc";

/**
 * Evaluates a platform adapter that the build carries compressed (see
 * tsup.config.ts): as a string in the single-file build, as a file beside the
 * chunks in the published bin.
 *
 * Why by hand: the platform adapters and their SDKs (azure-devops-node-api,
 * gitbeaker, octokit) are about 1.7 MB of JavaScript, two thirds of the CLI.
 * As plain modules they would double the installed size, and in the single
 * file V8 would pre-parse every function of them at every start, which tripled
 * `provenant --version`. Compressed, each costs a few hundred kilobytes on
 * disk and is inflated only on the platform that uses it. The adapters are
 * bundled as CommonJS with `@provenant/core` and `@provenant/oidc` left out,
 * and get this build's copies here: one ProvenantError class, so error codes
 * survive.
 */
const SHARED: Readonly<Record<string, unknown>> = {
  "@provenant/core": core,
  "@provenant/oidc": oidc,
};

const nodeRequire = createRequire(import.meta.url);

function evaluateCommonJs<T>(code: string): T {
  const module = { exports: {} as T };
  const require = (id: string) => SHARED[id] ?? nodeRequire(id);
  new Function("module", "exports", "require", code)(module, module.exports, require);
  return module.exports;
}

/** `packed` is the module's CommonJS code, brotli-compressed and base64-encoded (the single-file build). */
export function evaluateEmbeddedModule<T>(packed: string): T {
  return evaluateCommonJs(brotliDecompressSync(Buffer.from(packed, "base64")).toString("utf8"));
}

/** `file` holds the module's CommonJS code, brotli-compressed (the published bin, read when the platform is chosen). */
export function evaluatePackedFile<T>(file: URL): T {
  return evaluateCommonJs(brotliDecompressSync(readFileSync(file)).toString("utf8"));
}
