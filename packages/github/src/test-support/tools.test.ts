import { describe, expect, it } from "vitest";
import { builtCli, installedFile } from "./tools.js";

describe("missing test tools", () => {
  it("name the build command instead of a raw ENOENT", () => {
    expect(builtCli()).toMatch(/provenant\.mjs$/);
    expect(() => builtCli("/nonexistent/provenant.mjs")).toThrow("pnpm --filter @provenant/cli build");
    expect(() => installedFile("/nonexistent/tsx/dist/cli.mjs", "tsx")).toThrow("tsx is not installed; run `pnpm install`");
  });
});
