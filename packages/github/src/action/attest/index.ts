// The bundled entry GitHub runs (action.yml `runs.main`); `run` lives in
// main.ts so @github/local-action can import it without running it.
import { run } from "./main.js";

await run();
