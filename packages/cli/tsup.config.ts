import { readFileSync } from "node:fs";
import { defineConfig } from "tsup";

const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
const define = { PROVENANT_VERSION: JSON.stringify(version) };

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
