import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm"],
  dts: true,
  clean: true,
  target: "node22",
  sourcemap: true,
  // node:sqlite exists only with its prefix: tsup would strip it to "sqlite".
  removeNodeProtocol: false,
});
