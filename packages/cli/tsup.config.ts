import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants } from "node:zlib";
import { build, type Plugin } from "esbuild";
import { defineConfig, type Options } from "tsup";

const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
const define = { PROVENANT_VERSION: JSON.stringify(version) };

/**
 * Modules carried compressed and evaluated on first use (see
 * src/platforms/embedded.ts for why): each platform adapter with its SDK
 * (azure-devops-node-api, gitbeaker, octokit), imported by the platform
 * registry; about 1.7 MB of JavaScript, two thirds of the CLI. `exports` are
 * the names the importers use.
 */
const PACKED: ReadonlyArray<{ name: RegExp; exports: readonly string[]; importer: string }> = [
  // Only the platform registry's `adapter` imports: the signing service
  // (@provenant/server) and `attest --server` use other exports (pure
  // provenance functions, token requests), bundled as usual inside the
  // modules they load on demand.
  { name: /^@provenant\/(github|gitlab|jenkins|azure-pipelines)$/, exports: ["adapter"], importer: "/src/platforms/" },
];

/** The published bin: an entry of a few hundred bytes, commands in chunks loaded when they run. */
const BIN_DIR = "dist/bin";
const CHUNK_DIR = "chunks";

/** One module with its dependencies, as minified CommonJS, brotli-compressed. */
async function packedModule(packageName: string, exports: readonly string[], resolveDir: string): Promise<Buffer> {
  const result = await build({
    stdin: { contents: `export { ${exports.join(", ")} } from ${JSON.stringify(packageName)};`, resolveDir },
    bundle: true,
    write: false,
    format: "cjs",
    platform: "node",
    target: "node22",
    minify: true,
    external: ["@provenant/core", "@provenant/oidc"],
    logLevel: "error",
  });
  return brotliCompressSync(result.outputFiles[0]!.contents, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } });
}

/**
 * `inline` puts each PACKED module in the importing module as a string, for
 * the single-file build; `file` writes it beside the chunks, read on first
 * use, so that no start of the published bin even scans it.
 */
function packModules(mode: "inline" | "file"): Plugin {
  return {
    name: "provenant-pack-modules",
    setup(pluginBuild) {
      const filter = new RegExp(PACKED.map((p) => p.name.source).join("|"));
      pluginBuild.onResolve({ filter }, (args) => {
        const packed = PACKED.find((p) => p.name.test(args.path));
        return packed && args.importer.includes(packed.importer)
          ? { path: args.path, namespace: "provenant-packed", pluginData: { exports: packed.exports, resolveDir: args.resolveDir } }
          : undefined;
      });
      pluginBuild.onLoad({ filter: /.*/, namespace: "provenant-packed" }, async (args) => {
        const { exports, resolveDir } = args.pluginData as { exports: readonly string[]; resolveDir: string };
        const packed = await packedModule(args.path, exports, resolveDir);
        const embedded = JSON.stringify(`${process.cwd()}/src/platforms/embedded.ts`);
        let evaluated: string;
        if (mode === "inline") {
          evaluated = `evaluateEmbeddedModule(${JSON.stringify(packed.toString("base64"))})`;
        } else {
          // The module that reads the file is a chunk of its own in CHUNK_DIR
          // (every importer imports it dynamically): the file goes beside it.
          const file = `${args.path.replace(/^@/, "").replace("/", "-")}.cjs.br`;
          const outdir = pluginBuild.initialOptions.outdir ?? BIN_DIR;
          mkdirSync(join(outdir, CHUNK_DIR), { recursive: true });
          writeFileSync(join(outdir, CHUNK_DIR, file), packed);
          evaluated = `evaluatePackedFile(new URL(${JSON.stringify(`./${file}`)}, import.meta.url))`;
        }
        return {
          contents: [
            `import { ${mode === "inline" ? "evaluateEmbeddedModule" : "evaluatePackedFile"} } from ${embedded};`,
            `const packed = ${evaluated};`,
            ...exports.map((name) => `export const ${name} = packed.${name};`),
          ].join("\n"),
          resolveDir: process.cwd(),
          loader: "js",
        };
      });
    },
  };
}

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

/**
 * esbuild writes a chunk for every `import()` it finds, even one inside code
 * that tree shaking then drops (@provenant/github's import of octokit, half a
 * megabyte, which only its adapter uses, and the adapter carries its own).
 * Deletes the chunks no kept file names, from the entry on; a file is kept if
 * its name appears anywhere in a kept file, so nothing loaded can go missing.
 */
function dropUnreferencedChunks(): void {
  const chunks = join(BIN_DIR, CHUNK_DIR);
  const names = readdirSync(chunks);
  const kept = new Set<string>();
  const queue = [join(BIN_DIR, "provenant.mjs")];
  while (queue.length > 0) {
    const text = readFileSync(queue.pop()!, "utf8");
    for (const name of names) {
      if (kept.has(name) || !text.includes(name)) continue;
      kept.add(name);
      if (name.endsWith(".mjs")) queue.push(join(chunks, name));
    }
  }
  for (const name of names) if (!kept.has(name)) rmSync(join(chunks, name));
}

/** Both builds: every dependency bundled, so the package has no runtime dependencies. */
const bundledCli: Options = {
  entry: { provenant: "src/bin.ts" },
  format: ["esm"],
  outExtension: () => ({ js: ".mjs" }),
  target: "node22",
  platform: "node",
  noExternal: [/.*/],
  minify: true,
  // `pnpm build` empties dist/ first; two builds write into it side by side.
  clean: false,
  // node:sqlite (the vault's embedded store) exists only with its prefix.
  removeNodeProtocol: false,
  banner: {
    js: [
      "#!/usr/bin/env node",
      // Bundled CommonJS dependencies call require(); give them one (in every chunk).
      'import { createRequire as __provenantCreateRequire } from "node:module";',
      "const require = __provenantCreateRequire(import.meta.url);",
    ].join("\n"),
  },
  define,
};

export default defineConfig([
  // The published bin (package.json `bin`, `files`): `provenant --version`
  // loads only the entry; each command's modules are chunks imported when it runs.
  {
    ...bundledCli,
    outDir: BIN_DIR,
    splitting: true,
    esbuildPlugins: [packModules("file"), lazySqlite],
    esbuildOptions(options) {
      options.chunkNames = `${CHUNK_DIR}/[name]-[hash]`;
    },
    onSuccess: async () => dropUnreferencedChunks(),
  },
  // The single-file CLI, for CI images and the Jenkins/GitLab/Azure shims
  // that copy one file and run `node provenant.mjs ...`. Not published: the
  // bin above is the same program.
  {
    ...bundledCli,
    outDir: "dist",
    splitting: false,
    treeshake: true,
    esbuildPlugins: [packModules("inline"), lazySqlite],
  },
]);
