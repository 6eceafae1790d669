import { ProvenantError } from "@provenant/core";
import { glob } from "tinyglobby";

/** Expands the task's file patterns (one per line) under the working directory. */
export async function matchFiles(patterns: readonly string[], workingDirectory: string, what: string): Promise<string[]> {
  if (patterns.length === 0) throw new ProvenantError("EMPTY_SUBJECTS", `no ${what} patterns; expected one file or glob per line`);
  const files = await glob([...patterns], { cwd: workingDirectory, absolute: true, onlyFiles: true, dot: true, expandDirectories: false });
  if (files.length === 0) {
    throw new ProvenantError(
      "NO_SUBJECTS_MATCHED",
      `no file under ${workingDirectory} matches ${patterns.join(", ")}; expected at least one ${what}`,
    );
  }
  return files.sort();
}
