import { ProvenantError, type Subject } from "@provenant/core";
import { resolveSubjects } from "@provenant/subjects";

/**
 * Resolves the task's file patterns (one per line: files, directories or
 * globs) into subjects with @provenant/subjects, the same function the CLI
 * and the GitHub actions call, so a file gets the same name and digest
 * whichever front end attested it. `refuseSkipped` (verify) fails on what a
 * walk had to leave out instead of warning.
 */
export async function subjectsOf(
  patterns: readonly string[],
  options: { workingDirectory: string; what: string; warn: (message: string) => void; refuseSkipped?: boolean; subjectRoot?: string },
): Promise<Subject[]> {
  if (patterns.length === 0) throw new ProvenantError("EMPTY_SUBJECTS", `no ${options.what} patterns; expected one file, directory or glob per line`);
  return resolveSubjects(
    {
      patterns,
      checksumFiles: [],
      digests: [],
      ...(options.refuseSkipped && { refuseSkipped: true }),
      ...(options.subjectRoot && { subjectRoot: options.subjectRoot }),
    },
    { cwd: options.workingDirectory, env: {}, stderr: (text) => options.warn(text.trimEnd()) },
  );
}
