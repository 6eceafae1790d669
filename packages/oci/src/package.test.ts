import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/*
 * Both published entries (`.` and `./testing`) must run with only what the
 * package declares in `dependencies`: tsup keeps dependencies external but
 * would silently inline a devDependency, and a consumer installing
 * @provenant/oci gets no devDependencies.
 */
describe("the published entries", () => {
  it("import only node builtins, their own modules and declared dependencies", async () => {
    const root = join(import.meta.dirname, "..");
    const manifest = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    const declared = new Set(Object.keys(manifest.dependencies));
    const files = (await readdir(join(root, "src"), { recursive: true })).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"));
    expect(files).toContain("testing.ts");
    const undeclared: string[] = [];
    for (const file of files) {
      const text = await readFile(join(root, "src", file), "utf8");
      for (const [, specifier] of text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"/gms)) {
        if (specifier!.startsWith("node:") || specifier!.startsWith(".")) continue;
        const name = specifier!.startsWith("@") ? specifier!.split("/").slice(0, 2).join("/") : specifier!.split("/")[0]!;
        if (!declared.has(name)) undeclared.push(`${file}: ${specifier}`);
      }
    }
    expect(undeclared).toEqual([]);
  });
});
