// `pnpm bench` install section (issue 14 §2): what `npm i -g @provenant/cli`
// costs, from packed tarballs with a warm npm cache, against @sigstore/cli
// installed the same way in the same run, and how fast the installed
// `provenant --version` starts against `node -e 0`.
//
// The tarballs and a private npm cache live in bench/.work/install/. The
// @sigstore/cli tarball is fetched once with `npm pack` (the registry npm is
// configured with); an untimed install of each warms the cache for its
// dependencies, and the timed installs run with --prefer-offline.
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";

const MB = 1_000_000;
const SIZE_TARGET_BYTES = 3 * MB;
const TIME_TARGET_SECONDS = 2;
const VERSION_TARGET_RATIO = 1.8;

/** Rows in bench/run.mjs's format: { name, provenant, baseline, ratio, target, met }. */
export async function benchInstall({ root, work, log, median, quick = false }) {
  const dir = join(work, "install");
  const cache = join(dir, "npm-cache");
  mkdirSync(dir, { recursive: true });
  // The same node and npm for every step: the ones bench/run.mjs runs under.
  const env = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}`, npm_config_update_notifier: "false" };
  const run = (command, args, cwd = dir) => {
    const result = spawnSync(command, args, { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * MB });
    if (result.error) throw result.error;
    if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} exited ${result.status}: ${result.stderr}`);
    return result.stdout;
  };

  log("install: packing @provenant/cli");
  const cliDir = join(root, "packages", "cli");
  if (!existsSync(join(cliDir, "dist", "bin", "provenant.mjs"))) {
    throw new Error("the CLI is not built (packages/cli/dist/bin/provenant.mjs is missing): run `pnpm bench`, which builds first");
  }
  for (const old of readdirSync(dir).filter((f) => f.startsWith("provenant-cli-"))) rmSync(join(dir, old));
  run("pnpm", ["pack", "--pack-destination", dir], cliDir);
  const ours = join(dir, readdirSync(dir).find((f) => f.startsWith("provenant-cli-") && f.endsWith(".tgz")));

  let theirs = readdirSync(dir).find((f) => f.startsWith("sigstore-cli-") && f.endsWith(".tgz"));
  if (!theirs) {
    log("install: fetching the @sigstore/cli tarball (once)");
    run("npm", ["pack", "@sigstore/cli", "--pack-destination", dir, "--cache", cache]);
    theirs = readdirSync(dir).find((f) => f.startsWith("sigstore-cli-") && f.endsWith(".tgz"));
  }
  theirs = join(dir, theirs);

  /** Installs a tarball globally into a fresh prefix; returns the seconds it took and the prefix. */
  let installs = 0;
  const install = (tarball, warmUp) => {
    const prefix = join(dir, `prefix-${installs++}`);
    rmSync(prefix, { recursive: true, force: true });
    const started = process.hrtime.bigint();
    run("npm", [
      "install",
      "--global",
      "--prefix",
      prefix,
      "--cache",
      cache,
      ...(warmUp ? [] : ["--prefer-offline"]),
      "--no-audit",
      "--no-fund",
      "--loglevel",
      "error",
      tarball,
    ]);
    return { seconds: Number(process.hrtime.bigint() - started) / 1e9, prefix };
  };

  log("install: warming the npm cache");
  const ourInstall = install(ours, true);
  const theirInstall = install(theirs, true);
  const ourSize = installedSize(join(ourInstall.prefix, "lib", "node_modules"));
  const theirSize = installedSize(join(theirInstall.prefix, "lib", "node_modules"));
  const bin = join(ourInstall.prefix, "bin", "provenant");

  const repeats = quick ? 3 : 7;
  log(`install: ${repeats} timed installs of each, alternating`);
  const ourTimes = [];
  const theirTimes = [];
  for (let i = 0; i < repeats; i++) {
    const a = install(ours, false);
    const b = install(theirs, false);
    ourTimes.push(a.seconds);
    theirTimes.push(b.seconds);
    rmSync(a.prefix, { recursive: true, force: true });
    rmSync(b.prefix, { recursive: true, force: true });
  }
  const ourTime = median(ourTimes);
  const theirTime = median(theirTimes);

  log("install: `provenant --version` against `node -e 0`");
  const versionRuns = quick ? 10 : 30;
  const [versionTime, nodeTime, singleFileTime] = race(
    [
      { command: bin, args: ["--version"] },
      { command: process.execPath, args: ["-e", "0"] },
      { command: process.execPath, args: [join(cliDir, "dist", "provenant.mjs"), "--version"] },
    ],
    versionRuns,
    env,
    median,
  );
  rmSync(theirInstall.prefix, { recursive: true, force: true });

  const describe = (size) => `${(size.diskBytes / MB).toFixed(2)} MB on disk (${(size.bytes / MB).toFixed(2)} MB of files), ${size.packages} package${size.packages === 1 ? "" : "s"}`;
  const rows = [
    {
      name: "install @provenant/cli (packed): size",
      provenant: describe(ourSize),
      baseline: `@sigstore/cli ${describe(theirSize)}`,
      ratio: theirSize.diskBytes / ourSize.diskBytes,
      target: "<= 3 MB on disk",
      met: ourSize.diskBytes <= SIZE_TARGET_BYTES,
    },
    {
      name: "install @provenant/cli (packed, warm cache): time",
      provenant: `${ourTime.toFixed(2)} s`,
      baseline: `@sigstore/cli ${theirTime.toFixed(2)} s (median of ${repeats})`,
      ratio: theirTime / ourTime,
      target: "<= 2 s",
      met: ourTime <= TIME_TARGET_SECONDS,
    },
    {
      name: "cold start installed `provenant --version`",
      provenant: `${(versionTime * 1000).toFixed(0)} ms`,
      baseline: `node -e 0 ${(nodeTime * 1000).toFixed(0)} ms (median of ${versionRuns})`,
      ratio: versionTime / nodeTime,
      target: `<= ${VERSION_TARGET_RATIO}x node -e 0`,
      met: versionTime / nodeTime <= VERSION_TARGET_RATIO,
    },
    {
      // What the Jenkins/GitLab/Azure shims run when they copy one file: reported, no target.
      name: "cold start single-file `node provenant.mjs --version`",
      provenant: `${(singleFileTime * 1000).toFixed(0)} ms`,
      baseline: `node -e 0 ${(nodeTime * 1000).toFixed(0)} ms`,
      ratio: singleFileTime / nodeTime,
      target: "(reported)",
      met: undefined,
    },
  ];
  rmSync(ourInstall.prefix, { recursive: true, force: true });
  return rows;
}

/**
 * What an install put under node_modules: the bytes of its files, the bytes
 * they occupy on disk (allocated blocks, as `du` counts them), and how many
 * packages (directories with a package.json directly under a node_modules).
 */
function installedSize(nodeModules) {
  const size = { bytes: 0, diskBytes: 0, packages: 0 };
  const walk = (path) => {
    const stat = lstatSync(path);
    size.diskBytes += stat.blocks * 512;
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path)) walk(join(path, entry));
    } else {
      size.bytes += stat.size;
    }
  };
  const countPackages = (modules) => {
    for (const entry of readdirSync(modules)) {
      if (entry.startsWith(".")) continue;
      const path = join(modules, entry);
      if (entry.startsWith("@")) {
        for (const scoped of readdirSync(path)) countPackage(join(path, scoped));
      } else {
        countPackage(path);
      }
    }
  };
  const countPackage = (path) => {
    if (!existsSync(join(path, "package.json"))) return;
    size.packages++;
    if (existsSync(join(path, "node_modules"))) countPackages(join(path, "node_modules"));
  };
  walk(nodeModules);
  countPackages(nodeModules);
  return size;
}

/** Runs the contenders alternately after one untimed run each; each one's median seconds. */
function race(contenders, repeats, env, median) {
  const once = ({ command, args }) => {
    const started = process.hrtime.bigint();
    const result = spawnSync(command, args, { env, stdio: ["ignore", "ignore", "pipe"] });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (result.error) throw result.error;
    if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} exited ${result.status}: ${result.stderr}`);
    return seconds;
  };
  for (const c of contenders) once(c);
  const times = contenders.map(() => []);
  for (let r = 0; r < repeats; r++) {
    for (const [i, c] of contenders.entries()) times[i].push(once(c));
  }
  return times.map(median);
}
