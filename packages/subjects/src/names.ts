import { existsSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { ProvenantError } from "@provenant/core/base";

/**
 * The directory subject names are relative to: `subjectRoot` when given
 * (resolved against `cwd`), else the repository's top level, else `cwd`.
 *
 * The top level is found by walking up from `cwd` to the first directory
 * holding `.git` (a directory, or a file in a worktree or submodule), not
 * by running `git rev-parse`: git would read the repository's config, and a
 * repository being attested is untrusted input (its config can name
 * programs for git to run).
 */
export function subjectRootOf(cwd: string, subjectRoot?: string): string {
  if (subjectRoot !== undefined && subjectRoot !== "") {
    const root = resolve(cwd, subjectRoot);
    if (!statSync(root, { throwIfNoEntry: false })?.isDirectory()) {
      throw new ProvenantError("USAGE", `--subject-root ${subjectRoot}: no such directory; expected the directory subject names are relative to`);
    }
    return root;
  }
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (existsSync(join(dir, ".git"))) return dir;
    if (dirname(dir) === dir) return resolve(cwd);
  }
}

/**
 * The subject name of the file at absolute `path`: relative to `root`, with
 * `/` separators, never absolute and never climbing out with `..`, so one
 * file has one name however it was named (path, glob, directory, checksums)
 * and from whichever directory. `shownAs` is how the user named it, for the
 * error.
 */
export function subjectNameOf(root: string, path: string, shownAs: string): string {
  const rel = relative(root, path);
  if (rel === "" || rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new ProvenantError(
      "SUBJECT_OUTSIDE_ROOT",
      `${shownAs}: outside ${root}, the directory subject names are relative to; expected a file below the repository root, or pass --subject-root DIR holding it`,
    );
  }
  return sep === "/" ? rel : rel.split(sep).join("/");
}
