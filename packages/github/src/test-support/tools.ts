import { existsSync } from "node:fs";
import { resolve } from "node:path";

const CLI_BUNDLE = resolve(import.meta.dirname, "../../../cli/dist/provenant.mjs");

/**
 * The single-file CLI the tests run as a user would. Turbo builds it before
 * this package's tests; a bare `vitest run` may not have it, and a raw
 * ENOENT from execFile would not say what to do.
 */
export function builtCli(path = CLI_BUNDLE): string {
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: these tests run the built CLI; build it with \`pnpm --filter @provenant/cli build\` (or \`pnpm --filter @provenant/github test\`, which builds it first)`);
  }
  return path;
}

/** A file a devDependency provides (tsx, @github/local-action), or an error naming `pnpm install`. */
export function installedFile(path: string, what: string): string {
  if (!existsSync(path)) throw new Error(`${path} is missing: ${what} is not installed; run \`pnpm install\``);
  return path;
}
