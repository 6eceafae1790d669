import { readFileSync } from "node:fs";
import { brotliCompressSync, constants } from "node:zlib";
import { build, type Plugin } from "esbuild";
import { defineConfig } from "tsup";

const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
const define = { PROVENANT_VERSION: JSON.stringify(version) };

const ADAPTER_PACKAGES = /^@provenant\/(github|gitlab|jenkins|azure-pipelines)$/;

/**
 * In the single-file build, each platform adapter becomes a string evaluated
 * on first use (see src/platforms/embedded.ts for why).
 */
const embedAdapters: Plugin = {
  name: "provenant-embed-adapters",
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: ADAPTER_PACKAGES }, (args) =>
      // Only the platform registry's `adapter` imports are embedded; the
      // signing service (@provenant/server) and `attest --server` use other
      // exports (pure provenance functions, token requests), bundled as usual
      // inside the modules they load on demand.
      args.importer.includes("/src/platforms/")
        ? { path: args.path, namespace: "provenant-embedded", pluginData: { resolveDir: args.resolveDir } }
        : undefined,
    );
    pluginBuild.onLoad({ filter: /.*/, namespace: "provenant-embedded" }, async (args) => {
      const result = await build({
        stdin: { contents: `export { adapter } from ${JSON.stringify(args.path)};`, resolveDir: process.cwd() },
        bundle: true,
        write: false,
        format: "cjs",
        platform: "node",
        target: "node22",
        minify: true,
        external: ["@provenant/core", "@provenant/oidc"],
        logLevel: "error",
      });
      // Brotli + base64: a quarter of the bytes for Node to read and decode
      // at every start, inflated only on the platform that needs it.
      const packed = brotliCompressSync(result.outputFiles[0]!.contents, {
        params: { [constants.BROTLI_PARAM_QUALITY]: 11 },
      }).toString("base64");
      return {
        contents: [
          `import { evaluateEmbeddedModule } from ${JSON.stringify(`${process.cwd()}/src/platforms/embedded.ts`)};`,
          `const embedded = evaluateEmbeddedModule(${JSON.stringify(packed)});`,
          "export const adapter = embedded.adapter;",
        ].join("\n"),
        resolveDir: process.cwd(),
        loader: "js",
      };
    });
  },
};

/**
 * node:sqlite (the vault's embedded store) loaded on first use: a static
 * import would be hoisted to the top of the single file and make every
 * command fail to link on a Node without it, before the version check runs.
 */
const lazySqlite: Plugin = {
  name: "provenant-lazy-sqlite",
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^node:sqlite$/ }, () => ({ path: "node:sqlite", namespace: "provenant-lazy-sqlite" }));
    pluginBuild.onLoad({ filter: /.*/, namespace: "provenant-lazy-sqlite" }, () => ({
      contents: [
        "let sqlite;",
        // A constructor that returns the real DatabaseSync instance.
        'export class DatabaseSync { constructor(...args) { sqlite ??= process.getBuiltinModule("node:sqlite"); return new sqlite.DatabaseSync(...args); } }',
      ].join("\n"),
      loader: "js",
    }));
  },
};

export default defineConfig([
  // The library entry, for tests and for embedding.
  {
    entry: { index: "src/index.ts" },
    format: ["esm"],
    dts: true,
    clean: true,
    target: "node22",
    define,
  },
  // The self-contained CLI: every dependency bundled into one file, for CI
  // images and the Jenkins/GitLab shims (`node provenant.mjs ...`).
  {
    entry: { provenant: "src/bin.ts" },
    format: ["esm"],
    outExtension: () => ({ js: ".mjs" }),
    target: "node22",
    platform: "node",
    noExternal: [/.*/],
    minify: true,
    splitting: false,
    treeshake: true,
    esbuildPlugins: [embedAdapters, lazySqlite],
    // node:sqlite (the vault's embedded store) exists only with its prefix.
    removeNodeProtocol: false,
    banner: {
      js: [
        "#!/usr/bin/env node",
        // Bundled CommonJS dependencies call require(); give them one.
        'import { createRequire as __provenantCreateRequire } from "node:module";',
        "const require = __provenantCreateRequire(import.meta.url);",
      ].join("\n"),
    },
    define,
  },
]);
