import { enableCompileCache } from "node:module";
import { main } from "./main.js";
import { processIo } from "./io.js";

// Caches compiled code between runs so the bundled CLI starts fast in CI.
enableCompileCache?.();

const code = await main(process.argv.slice(2), processIo());
process.exitCode = code;
