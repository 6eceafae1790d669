import { defineConfig, type Options } from "tsup";

// The CLI's platform registry lazily imports every adapter; the actions use
// this package's adapter directly and never call the registry. Left external,
// those imports keep other platforms' code (and its churn) out of the bundles.
const otherAdapters = {
  name: "provenant-registry-adapters-external",
  setup(build: { onResolve: (options: { filter: RegExp }, callback: (args: { path: string }) => { path: string; external: boolean }) => void }) {
    build.onResolve({ filter: /^@provenant\/(github|gitlab|jenkins|azure-pipelines)$/ }, (args) => ({ path: args.path, external: true }));
  },
};

// The action bundles GitHub runs: every dependency inlined, committed under
// attest/dist and verify/dist. `pnpm bundle` rebuilds them; a test rebuilds
// into PROVENANT_ACTIONS_OUT and fails when the committed files differ.
const root = process.env.PROVENANT_ACTIONS_OUT ?? ".";

const action = (name: "attest" | "verify"): Options => ({
  entry: { index: `src/action/${name}/index.ts` },
  outDir: `${root}/${name}/dist`,
  format: ["esm"],
  platform: "node",
  target: "node24",
  noExternal: [/.*/],
  splitting: false,
  treeshake: true,
  minify: true,
  sourcemap: false,
  dts: false,
  clean: true,
  esbuildPlugins: [otherAdapters],
  banner: {
    js: [
      // Bundled CommonJS dependencies call require(); give them one.
      'import { createRequire as __provenantCreateRequire } from "node:module";',
      "const require = __provenantCreateRequire(import.meta.url);",
    ].join("\n"),
  },
});

export default defineConfig([action("attest"), action("verify")]);
