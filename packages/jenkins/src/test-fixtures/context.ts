import type { CollectContext, Environment } from "@provenant/core";

/** A collect context over a fixture environment that records warnings. */
export function collectContext(
  env: Environment,
  overrides: Partial<CollectContext> = {},
): CollectContext & { warnings: string[] } {
  const warnings: string[] = [];
  return {
    env,
    cwd: process.cwd(),
    fetch: globalThis.fetch,
    warn: (message) => warnings.push(message),
    now: () => new Date(),
    options: {},
    ...overrides,
    warnings,
  };
}
