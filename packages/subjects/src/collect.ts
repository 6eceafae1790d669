import { type Dirent, lstatSync, readdirSync, realpathSync, statSync } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { isProvenantError, ProvenantError } from "@provenant/core/base";
import picomatch from "picomatch";
import { subjectNameOf } from "./names.js";
import { isDynamicPattern } from "tinyglobby";

export interface FoundFile {
  /** Absolute path as found (may be a link inside the root). */
  path: string;
  /** Resolved path; duplicates are removed on this. */
  realPath: string;
  /** Bytes; -1 for a file found by a walk when sizes were not asked for (the hasher learns it). */
  size: number;
  /** The subject name: the path relative to the subject root, with `/` (see names.ts). */
  name: string;
}

export interface CollectResult {
  files: FoundFile[];
  /** What was left out: links leading outside their root or nowhere, and entries that are not regular files. */
  skipped: string[];
}

function within(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** What subjectNameOf gives every file directly in `dir`, before the file's own name. */
function subjectNamePrefix(root: string, dir: string): string {
  return dir === root ? "" : `${subjectNameOf(root, dir, dir)}/`;
}

const byName = (a: Dirent, b: Dirent) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Matches the paths a walk meets: relative to cwd for a relative glob, absolute for an absolute one. */
type Matcher = (path: string) => boolean;

function globMatcher(pattern: string, cwd: string): Matcher {
  const absolute = isAbsolute(pattern);
  const isMatch = picomatch(pattern.split(sep).join("/"), { dot: true });
  return (path) => isMatch((absolute ? path : relative(cwd, path)).split(sep).join("/"));
}

/**
 * Expands paths, directories and globs into the files to hash. Directories
 * recurse; a symbolic link is followed only when its target stays inside the
 * root it was found under (the directory given, or a glob's static base), so
 * `dist/ -> /etc` can never put a host file into a statement. Loops end
 * because each real directory is visited once.
 *
 * A glob is answered by walking its static base with the same walker and
 * keeping what the pattern matches (a matched directory is taken whole), so
 * links found through a glob obey the same rule as links found in a
 * directory. (tinyglobby, used before, leaves links to directories out of its
 * matches, and with links not followed, links to files too.)
 */
export async function collectFiles(
  patterns: readonly string[],
  cwd: string,
  /** Hears of each file as the walk finds it (duplicates once), e.g. to start hashing it. */
  onFile?: (file: FoundFile) => void,
  options: {
    /** Names are relative to this directory (absolute; default `cwd`); see `subjectRootOf`. */
    root?: string;
    /**
     * Stat every file a walk finds for its size (default true). Without it a
     * walk is readdir alone and sizes are -1: the hash worker that opens the
     * file learns the size from the open descriptor, and the main thread
     * spends no system call per file. Progress totals need sizes.
     */
    sizes?: boolean;
  } = {},
): Promise<CollectResult> {
  const root = options.root ?? resolve(cwd);
  const wantSizes = options.sizes ?? true;
  const files: FoundFile[] = [];
  // The real paths listed, to list each file once: needed only once a file
  // can be met a second time, through a link or another pattern. Until then
  // (a directory of regular files, the usual release) the walk keeps no set
  // of 20,000 paths; the first link or second pattern builds it from `files`.
  let seen: Set<string> | undefined;
  const expectRepeats = () => {
    seen ??= new Set(files.map((f) => f.realPath));
  };
  const skipped: string[] = [];
  // Files a pattern matched, duplicates of earlier patterns included: a
  // pattern whose files were all listed already still matched something.
  let matched = 0;

  // Synchronous file system calls on purpose: a walk is thousands of tiny
  // readdir/stat/realpath calls, and a promise round trip through libuv's
  // thread pool for each costs far more than the call (20,000 files: 1.9 s
  // async, a tenth of that sync). The CLI does nothing else meanwhile.
  const addFile = (path: string, real: string, size: number, name?: string) => {
    matched++;
    if (seen) {
      if (seen.has(real)) return;
      seen.add(real);
    }
    const file = { path, realPath: real, size, name: name ?? subjectNameOf(root, path, path) };
    files.push(file);
    onFile?.(file);
  };

  /**
   * One entry of a walk, or a path given directly. `match` (a glob's) says
   * which entries count; without it everything below counts.
   */
  const visit = (path: string, kind: "file" | "directory" | "link", rootReal: string | undefined, visited: Set<string>, match?: Matcher) => {
    let real = path;
    let isDirectory = kind === "directory";
    let size: number | undefined;
    if (kind === "link") {
      expectRepeats();
      try {
        real = realpathSync(path);
      } catch {
        skipped.push(`${path} (dangling link)`);
        return;
      }
      if (rootReal && !within(rootReal, real)) {
        skipped.push(`${path} -> ${real} (outside ${rootReal})`);
        return;
      }
      const info = statSync(real);
      if (!info.isDirectory() && !info.isFile()) {
        skipped.push(`${path} -> ${real} (not a regular file)`);
        return;
      }
      isDirectory = info.isDirectory();
      size = info.size;
    }
    const counts = match === undefined || match(path);
    if (isDirectory) {
      // A matched directory is taken whole; an unmatched one may hold matches.
      walk(path, rootReal ?? real, visited, counts ? undefined : match);
    } else if (counts) {
      addFile(path, real, size ?? statSync(real).size);
    }
  };

  const walk = (dir: string, rootReal: string, visited: Set<string>, match?: Matcher) => {
    // The C library's realpath: one call, where the JavaScript one lstat-s every component of the
    // path (a tenth of a 20,000-file walk's time went there, for 100 directories).
    const realDir = realpathSync.native(dir);
    // Once filtered by the glob and once taken whole at most: loops still end.
    const key = `${match ? "match" : "whole"}:${realDir}`;
    if (visited.has(key)) return;
    visited.add(key);
    // Regular entries before links, so that a file reached both directly and
    // through a link inside the root is named by its own path; each group by
    // name. Regular files, nearly every entry, are sorted as bare names by
    // the engine's own string order (no comparator call per comparison: a
    // fifth of a 20,000-file walk) and merged by name with the directories.
    const fileNames: string[] = [];
    const others: Dirent[] = [];
    const links: Dirent[] = [];
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isFile()) fileNames.push(entry.name);
      else (entry.isSymbolicLink() ? links : others).push(entry);
    }
    fileNames.sort();
    others.sort(byName);
    links.sort(byName);
    // Paths by concatenation: `dir` is absolute and normalized, and entry
    // names hold no separator; path.resolve per file is a measurable share of
    // a 20,000-file walk.
    const prefix = dir.endsWith(sep) ? dir : dir + sep;
    const realPrefix = realDir.endsWith(sep) ? realDir : realDir + sep;
    const namePrefix = subjectNamePrefix(root, dir);
    // Most directories are their own real path: a file's path then is its
    // real path, one string rather than two equal ones per file (a release of
    // 100,000 files kept both alive to the end).
    const realIsPath = realPrefix === prefix;
    const regularFile = (name: string) => {
      const path = prefix + name;
      // Not a link, in a directory whose real path is known: so is its own.
      const real = realIsPath ? path : realPrefix + name;
      if (match === undefined || match(path)) addFile(path, real, wantSizes ? statSync(real).size : -1, namePrefix + name);
    };
    const otherEntry = (entry: Dirent) => {
      const path = prefix + entry.name;
      if (entry.isDirectory()) {
        visit(path, "directory", rootReal, visited, match);
      } else if (entry.isSymbolicLink()) {
        visit(path, "link", rootReal, visited, match);
      } else if (match === undefined || match(path)) {
        skipped.push(`${path} (not a regular file)`);
      }
    };
    let next = 0;
    for (const entry of others) {
      while (next < fileNames.length && fileNames[next]! < entry.name) regularFile(fileNames[next++]!);
      otherEntry(entry);
    }
    while (next < fileNames.length) regularFile(fileNames[next++]!);
    for (const entry of links) otherEntry(entry);
  };

  const collect = (pattern: string) => {
    if (isDynamicPattern(pattern)) {
      const base = resolve(cwd, picomatch.scan(pattern).base || ".");
      let baseReal: string;
      try {
        baseReal = realpathSync(base);
      } catch {
        return; // no base, no match: reported below
      }
      if (!statSync(baseReal).isDirectory()) return;
      walk(base, baseReal, new Set(), globMatcher(pattern, cwd));
      return;
    }
    const path = resolve(cwd, pattern);
    let info: ReturnType<typeof lstatSync>;
    try {
      info = lstatSync(path);
    } catch {
      throw new ProvenantError("NO_SUBJECTS_MATCHED", `${pattern}: no such file or directory; expected an artifact path, directory or glob`);
    }
    // A path named on the command line is the user's own choice: its links are
    // followed wherever they lead, and it is the root for what lies below.
    if (info.isSymbolicLink()) visit(path, "link", undefined, new Set());
    else if (info.isDirectory()) walk(path, realpathSync(path), new Set());
    else if (info.isFile()) addFile(path, realpathSync(path), info.size);
  };

  for (const [index, pattern] of patterns.entries()) {
    if (index > 0) expectRepeats();
    matched = 0;
    try {
      collect(pattern);
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
  return { files, skipped };
}
