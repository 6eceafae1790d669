import { lstat, readdir, realpath, stat } from "node:fs/promises";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { isProvenantError, ProvenantError } from "@provenant/core";
import picomatch from "picomatch";
import { glob, isDynamicPattern } from "tinyglobby";

export interface FoundFile {
  /** Absolute path as found (may be a link inside the root). */
  path: string;
  /** Resolved path; duplicates are removed on this. */
  realPath: string;
  size: number;
  /** The subject name: the path relative to cwd, or absolute outside it. */
  name: string;
}

export interface CollectResult {
  files: FoundFile[];
  /** Symbolic links not followed because they lead outside their root. */
  skipped: string[];
}

function within(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root.endsWith(sep) ? root : root + sep);
}

function subjectName(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  const name = rel === "" || rel.startsWith("..") || isAbsolute(rel) ? path : rel;
  return name.split(sep).join("/");
}

/**
 * Expands paths, directories and globs into the files to hash. Directories
 * recurse; a symbolic link is followed only when its target stays inside the
 * root it was found under (the directory given, or a glob's static base), so
 * `dist/ -> /etc` can never put a host file into a statement. Loops end
 * because each real directory is visited once.
 */
export async function collectFiles(patterns: readonly string[], cwd: string): Promise<CollectResult> {
  const seen = new Map<string, FoundFile>();
  const skipped: string[] = [];
  // Files a pattern matched, duplicates of earlier patterns included: a
  // pattern whose files were all listed already still matched something.
  let matched = 0;

  const addFile = async (path: string, rootReal: string | undefined) => {
    let real: string;
    try {
      real = await realpath(path);
    } catch {
      skipped.push(`${path} (dangling link)`);
      return;
    }
    if (rootReal && !within(rootReal, real)) {
      skipped.push(`${path} -> ${real} (outside ${rootReal})`);
      return;
    }
    const info = await stat(real);
    if (!info.isFile()) return;
    matched++;
    if (seen.has(real)) return;
    seen.set(real, { path, realPath: real, size: info.size, name: subjectName(cwd, path) });
  };

  const walk = async (dir: string, rootReal: string, visited: Set<string>) => {
    const realDir = await realpath(dir);
    if (visited.has(realDir)) return;
    visited.add(realDir);
    const entries = await readdir(dir, { withFileTypes: true });
    // Regular entries before links, so that a file reached both directly and
    // through a link inside the root is named by its own path.
    entries.sort((a, b) =>
      a.isSymbolicLink() !== b.isSymbolicLink() ? (a.isSymbolicLink() ? 1 : -1) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    for (const entry of entries) {
      const path = resolve(dir, entry.name);
      if (entry.isDirectory()) {
        await walk(path, rootReal, visited);
      } else if (entry.isFile()) {
        await addFile(path, rootReal);
      } else if (entry.isSymbolicLink()) {
        let real: string;
        try {
          real = await realpath(path);
        } catch {
          skipped.push(`${path} (dangling link)`);
          continue;
        }
        if (!within(rootReal, real)) {
          skipped.push(`${path} -> ${real} (outside ${rootReal})`);
          continue;
        }
        const info = await stat(real);
        if (info.isDirectory()) await walk(path, rootReal, visited);
        else if (info.isFile()) await addFile(path, rootReal);
      }
    }
  };

  const collect = async (pattern: string) => {
    if (isDynamicPattern(pattern)) {
      const base = resolve(cwd, picomatch.scan(pattern).base || ".");
      let baseReal: string;
      try {
        baseReal = await realpath(base);
      } catch {
        baseReal = base;
      }
      const matches = await glob(pattern, {
        cwd,
        absolute: true,
        onlyFiles: false,
        followSymbolicLinks: false,
        expandDirectories: false,
        dot: true,
      });
      matches.sort();
      for (const match of matches) {
        const info = await lstat(match);
        if (info.isDirectory()) await walk(match, baseReal, new Set());
        else await addFile(match, baseReal);
      }
    } else {
      const path = resolve(cwd, pattern);
      let info: Awaited<ReturnType<typeof stat>>;
      try {
        info = await stat(path);
      } catch {
        throw new ProvenantError(
          "NO_SUBJECTS_MATCHED",
          `${pattern}: no such file or directory; expected an artifact path, directory or glob`,
        );
      }
      if (info.isDirectory()) await walk(path, await realpath(path), new Set());
      else await addFile(path, undefined);
    }
  };

  for (const pattern of patterns) {
    matched = 0;
    try {
      await collect(pattern);
    } catch (error) {
      if (isProvenantError(error)) throw error;
      // An unreadable directory or file met while walking is bad input (exit 2), not a crash.
      const { code, path } = error as NodeJS.ErrnoException;
      const why = code === "EACCES" ? "permission denied" : code === "ENOENT" ? "vanished while being read" : (error as Error).message;
      throw new ProvenantError("IO_ERROR", `cannot read ${path ?? pattern} (under ${pattern}): ${why}`, { cause: error });
    }
    if (matched === 0) {
      throw new ProvenantError(
        "NO_SUBJECTS_MATCHED",
        `${pattern}: matches no file; expected at least one artifact (check the path or glob)`,
      );
    }
  }
  return { files: [...seen.values()], skipped };
}
