import nodeModule from "node:module";
import { processIo } from "./io.js";
import { main } from "./main.js";

// Caches compiled code between runs so the bundled CLI starts fast in CI
// (Node >= 22.1; looked up at run time so that older Nodes reach the
// version check below instead of failing to link).
nodeModule.enableCompileCache?.();

const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(
    `provenant: error [USAGE]: Node.js ${process.versions.node} is too old; provenant needs Node.js 22.12 or newer\n`,
  );
  process.exitCode = 2;
} else {
  process.exitCode = await main(process.argv.slice(2), processIo());
}
