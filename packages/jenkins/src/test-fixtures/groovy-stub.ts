import { execFile, execFileSync } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

// Runs the shared library's steps through src/library/pipeline-stub.groovy
// (one JVM for every case: groovy starts slowly) and reads back what each
// step was asked to do.

const here = dirname(fileURLToPath(import.meta.url));
export const LIBRARY = resolve(here, "../../library");
export const STUB = resolve(here, "../library/pipeline-stub.groovy");
export const CLI = resolve(here, "../../../cli/dist/provenant.mjs");

export interface Call {
  step: string;
  [field: string]: unknown;
}
export interface StepResult {
  name: string;
  calls: Call[];
  returned?: unknown;
  error?: string;
}

/** JAVA_HOME for Debian's groovy launcher, which insists on one that exists. */
export function javaHome(): string {
  const configured = process.env.JAVA_HOME;
  if (configured && existsSync(join(configured, "bin", "java"))) return configured;
  const java = execFileSync("sh", ["-c", "command -v java"], { encoding: "utf8" }).trim();
  return dirname(dirname(realpathSync(java)));
}

export function requireTools() {
  try {
    execFileSync("groovy", ["--version"], { env: { ...process.env, JAVA_HOME: javaHome() }, stdio: "pipe" });
  } catch (cause) {
    throw new Error("groovy is needed to run the shared library's tests: install Debian's `groovy` package (scripts/test does)", {
      cause,
    });
  }
  if (!existsSync(CLI)) {
    throw new Error(`the built CLI is missing at ${CLI}: run \`pnpm --filter @provenant/cli build\` (turbo does it before this test)`);
  }
}

/** Runs the cases (pipeline-stub.groovy's format) in one JVM; results by case name. */
export async function runStepCases(cases: Record<string, unknown>[], casesFile: string): Promise<Map<string, StepResult>> {
  await writeFile(casesFile, JSON.stringify(cases));
  const { stdout } = await promisify(execFile)("groovy", [STUB, LIBRARY, casesFile], {
    env: { ...process.env, JAVA_HOME: javaHome() },
    maxBuffer: 16 * 1024 * 1024,
    timeout: 110_000,
  });
  return new Map((JSON.parse(stdout) as StepResult[]).map((r) => [r.name, r]));
}

/**
 * The text of every `provenantAttest(…)` / `provenantVerify(…)` call in a
 * Jenkinsfile, up to its closing parenthesis (quoted strings skipped).
 */
export function stepCalls(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/\bprovenant(?:Attest|Verify)\(/g)) {
    let depth = 0;
    let quote: string | undefined;
    for (let i = match.index + match[0].length - 1; i < text.length; i++) {
      const c = text[i];
      if (quote) {
        if (c === "\\") i++;
        else if (c === quote) quote = undefined;
      } else if (c === "'" || c === '"') quote = c;
      else if (c === "(") depth++;
      else if (c === ")" && --depth === 0) {
        found.push(text.slice(match.index, i + 1));
        break;
      }
    }
  }
  return found;
}
