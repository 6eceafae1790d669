import type { BuildDefinition, RunDetails } from "./schemas/provenance.js";

export type PlatformName = "github" | "gitlab" | "jenkins" | "azure-pipelines" | "local";
export const PLATFORM_NAMES: readonly PlatformName[] = [
  "github",
  "gitlab",
  "jenkins",
  "azure-pipelines",
  "local",
];

/** The two halves every adapter returns from its pure `provenance(facts)`. */
export interface ProvenanceFields {
  buildDefinition: BuildDefinition;
  runDetails: RunDetails;
}

export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Picks the platform from the variables each CI sets (DESIGN.md): the first
 * that matches wins, `local` otherwise. Takes the environment as an argument
 * so core never reads `process.env`.
 */
export function detectPlatform(env: Environment): PlatformName {
  if (env.GITHUB_ACTIONS === "true") return "github";
  if (env.GITLAB_CI === "true") return "gitlab";
  if (env.TF_BUILD?.toLowerCase() === "true") return "azure-pipelines";
  if (env.JENKINS_URL) return "jenkins";
  return "local";
}

/** What an adapter's I/O layer may use; passed in so adapters stay testable. */
export interface CollectContext {
  env: Environment;
  cwd: string;
  fetch: typeof globalThis.fetch;
  /** Non-fatal problems (an unreachable API during enrichment, say). */
  warn: (message: string) => void;
  now: () => Date;
  /** Platform-specific options from the command line, e.g. `tokenAudience`. */
  options: Readonly<Record<string, string | undefined>>;
  /**
   * Registers a secret the adapter obtains while collecting (the job's OIDC
   * ID token, a bearer credential until it expires) with the platform's log
   * masking (`core.setSecret`, `setSecret`), as soon as it is in hand and
   * before it is verified or could appear in a message. Absent where there is
   * no CI log to protect (local runs, tests).
   */
  mask?: (secret: string) => void;
}

/**
 * One CI platform: `collect` gathers facts at the edge (env, OIDC token,
 * platform API) and returns what the adapter's pure `provenance(facts)` makes.
 */
export interface PlatformAdapter {
  readonly platform: PlatformName;
  collect(context: CollectContext): Promise<ProvenanceFields>;
}
