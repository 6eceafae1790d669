import nodeModule from "node:module";
import { CLI_VERSION } from "./platforms/registry.js";

// Caches compiled code between runs so the bundled CLI starts fast in CI
// (Node >= 22.1; looked up at run time so that older Nodes reach the
// version check below instead of failing to link).
nodeModule.enableCompileCache?.();

// The package's `engines` range, ^22.22 || >=24.15: the releases it is tested on.
const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
const supported = (major === 22 && minor >= 22) || (major === 24 && minor >= 15) || major > 24;
if (!supported) {
  process.stderr.write(
    `provenant: error [USAGE]: Node.js ${process.versions.node} is not supported; provenant needs Node.js 22.22 or newer in 22.x, or 24.15 or newer\n`,
  );
  process.exitCode = 2;
} else if (process.argv.length === 3 && (process.argv[2] === "--version" || process.argv[2] === "-V")) {
  // Answered before the commands are loaded: CI scripts call it at every step.
  process.stdout.write(`${CLI_VERSION}\n`);
} else {
  // Loaded lazily so that --version does not run every command's module body.
  const [{ processIo }, { main }] = await Promise.all([import("./io.js"), import("./main.js")]);
  process.exitCode = await main(process.argv.slice(2), processIo());
}
