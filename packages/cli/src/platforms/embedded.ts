import { createRequire } from "node:module";
import { brotliDecompressSync } from "node:zlib";
import * as core from "@provenant/core";
import * as oidc from "@provenant/oidc";

/**
 * Evaluates an adapter that the single-file build carries as a string.
 *
 * Why by hand: the platform adapters and their SDKs (azure-devops-node-api,
 * gitbeaker, octokit) are about 2 MB of JavaScript, and V8 must at least
 * pre-parse every function of a module before running any of it, which
 * tripled `provenant --version`. A string literal is only scanned, so the
 * bundle stays one self-contained file and pays for an adapter's code only
 * on the platform that uses it (compressed, so reading the file stays cheap). The adapters are bundled as CommonJS with
 * `@provenant/core` and `@provenant/oidc` left out, and get this build's
 * copies here: one ProvenantError class, so error codes survive.
 */
const SHARED: Readonly<Record<string, unknown>> = {
  "@provenant/core": core,
  "@provenant/oidc": oidc,
};

const nodeRequire = createRequire(import.meta.url);

/** `packed` is the module's CommonJS code, brotli-compressed and base64-encoded. */
export function evaluateEmbeddedModule<T>(packed: string): T {
  const code = brotliDecompressSync(Buffer.from(packed, "base64")).toString("utf8");
  const module = { exports: {} as T };
  const require = (id: string) => SHARED[id] ?? nodeRequire(id);
  new Function("module", "exports", "require", code)(module, module.exports, require);
  return module.exports;
}
