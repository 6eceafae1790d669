// The entry of both builds. In the published bin it is a file of its own
// whose only import is node:module: `provenant --version` is answered
// without loading any command (CI scripts call it at every step), and
// everything else is imported after the compile cache is on, so that it
// applies to all of it.
import nodeModule from "node:module";

declare const PROVENANT_VERSION: string;

// The package's `engines` range, ^22.22 || >=24.15: the releases it is tested on.
const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
const supported = (major === 22 && minor >= 22) || (major === 24 && minor >= 15) || major > 24;
if (!supported) {
  process.stderr.write(
    `provenant: error [USAGE]: Node.js ${process.versions.node} is not supported; provenant needs Node.js 22.22 or newer in 22.x, or 24.15 or newer\n`,
  );
  process.exitCode = 2;
} else if (process.argv.length === 3 && (process.argv[2] === "--version" || process.argv[2] === "-V")) {
  process.stdout.write(`${typeof PROVENANT_VERSION === "string" ? PROVENANT_VERSION : "0.0.0-dev"}\n`);
} else {
  enableCompileCache();
  stopQuietlyWhenTheReaderLeaves();
  // Before the command's modules are even requested: the workers boot on the other cores while they load.
  await prestartHashing(process.argv.slice(2));
  const [{ processIo }, { main }] = await Promise.all([import("./io.js"), import("./main.js")]);
  process.exitCode = await main(process.argv.slice(2), processIo());
}

/**
 * `subjects` or `attest` of a directory will hash many files with worker
 * threads: start them now, so that they boot while the command loads rather
 * than after the walk has found the files. Anything else starts nothing.
 */
async function prestartHashing(args: readonly string[]): Promise<void> {
  if (args[0] !== "subjects" && args[0] !== "attest") return;
  const { statSync } = process.getBuiltinModule("node:fs");
  const directory = args.slice(1).some((arg) => !arg.startsWith("-") && statSync(arg, { throwIfNoEntry: false })?.isDirectory() === true);
  if (!directory) return;
  const { prestartHashWorkers } = await import("@provenant/subjects/hash-worker");
  prestartHashWorkers();
}

/**
 * Caches V8's compiled code of the modules loaded from here on between runs
 * (Node 22.1+), which roughly halves the start of a command. Node keeps one
 * directory per Node version and checks each entry against the source it was
 * made from, so upgrades need no cleaning. Where it goes: $NODE_COMPILE_CACHE
 * if the user set it (Node's own variable; NODE_DISABLE_COMPILE_CACHE turns
 * it off), else the per-user cache directory, not Node's default in the
 * shared temporary directory where another user could create it first. A
 * cache that cannot be written (read-only home in a CI container) is only a
 * slower start: enableCompileCache reports it in its return value, and
 * anything thrown is ignored, never an error of the command.
 */
function enableCompileCache(): void {
  try {
    if (typeof nodeModule.enableCompileCache !== "function") return;
    if (process.env.NODE_COMPILE_CACHE) {
      nodeModule.enableCompileCache();
      return;
    }
    const home = process.env.HOME;
    const cacheHome = process.env.XDG_CACHE_HOME || (home ? `${home}/.cache` : undefined);
    if (cacheHome?.startsWith("/")) nodeModule.enableCompileCache(`${cacheHome}/provenant/compile-cache`);
  } catch {
    // A start without the cache.
  }
}

/**
 * A reader that stops early (`provenant subjects . | head`) closes the pipe:
 * that is its choice, not an error of the command. Stop as Unix tools do,
 * without a stack trace; every file the command writes is written to a
 * temporary name and renamed, so nothing is left half-written. Any other
 * error on stdout is still thrown.
 */
function stopQuietlyWhenTheReaderLeaves(): void {
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
    process.exit(process.exitCode ?? 0);
  });
}
