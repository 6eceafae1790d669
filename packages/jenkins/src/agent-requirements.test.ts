import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));
const read = (path: string) => readFile(resolve(here, "..", path), "utf8");

// The agent runs the CLI, so what the docs tell a Jenkins admin to install
// must be the CLI's own engines range, not a number copied once and left.
describe("the Node version the docs ask agents for", () => {
  it.each(["../../examples/jenkins/Jenkinsfile", "README.md"])("%s names the CLI's engines range", async (path) => {
    const { engines } = JSON.parse(await read("../cli/package.json")) as { engines: { node: string } };
    const minimums = engines.node.match(/\d+\.\d+/g) ?? [];
    const text = await read(path);
    expect(text).toContain(engines.node);
    const versionsNamed = [...text.matchAll(/\bNode (\d+\.\d+)|\b(\d+\.\d+)\+|\b(\d+\.\d+) or newer/g)].map((m) => m[1] ?? m[2] ?? m[3]);
    expect(versionsNamed.length).toBeGreaterThan(0);
    for (const version of versionsNamed) expect(minimums).toContain(version);
  });
});
