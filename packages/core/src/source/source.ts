import type { Provenance } from "../schemas/provenance.js";
import { withoutCredentials } from "./url-credentials.js";

export interface Source {
  /** Repository URL without the `git+` prefix, e.g. `https://github.com/acme/app`. */
  uri: string;
  /** Host and path without scheme or `.git`, the form policies use: `github.com/acme/app`. */
  repository: string;
  /** Full ref, e.g. `refs/heads/main`, when recorded. */
  ref?: string;
  branch?: string;
  tag?: string;
  /** `gitCommit` digest of the revision. */
  commit?: string;
}

/** `https://github.com/acme/app.git` → `github.com/acme/app`: the form policies match against. */
export function normalizeRepository(uri: string): string {
  let repository = repositories.get(uri);
  if (repository === undefined) {
    repository = normalize(uri);
    // Bounded: a gate sees a few repositories again and again, hostile input many.
    if (repositories.size >= 256) repositories.clear();
    repositories.set(uri, repository);
  }
  return repository;
}

const repositories = new Map<string, string>();

function normalize(uri: string): string {
  return uri
    .replace(/^git\+/, "")
    .replace(/^[a-z][a-z0-9+.-]*:\/\//i, "")
    .replace(/\/+$/, "")
    .replace(/\.git$/, "")
    .toLowerCase();
}

export function refKind(ref: string): { branch?: string; tag?: string } {
  if (ref.startsWith("refs/heads/")) return { branch: ref.slice("refs/heads/".length) };
  if (ref.startsWith("refs/tags/")) return { tag: ref.slice("refs/tags/".length) };
  return {};
}

/**
 * Reads the source revision by the source convention (DESIGN.md):
 * `resolvedDependencies[0]` = `{ uri: "git+<url>@<full ref>", digest: { gitCommit } }`.
 * Returns undefined when the provenance records no git source.
 */
export function sourceOf(provenance: Provenance): Source | undefined {
  const first = provenance.buildDefinition.resolvedDependencies?.[0];
  if (!first?.uri?.startsWith("git+")) return undefined;
  const bare = first.uri.slice("git+".length);
  // The ref follows the first "@" in the path (credentials are never
  // recorded, so no "@" precedes the host). Refs may hold "@" themselves —
  // changesets tags like `refs/tags/@scope/pkg@1.0.0`, Dependabot branches for
  // scoped npm packages — so the split is never at the last "@". Full refs
  // start with "refs/", which picks the right "@" even in a path that has one
  // (refSeparatorIndex).
  const schemeEnd = bare.indexOf("://") + 3;
  const pathStart = bare.indexOf("/", schemeEnd);
  const at = pathStart < 0 ? -1 : refSeparatorIndex(bare, pathStart);
  const hasRef = pathStart > 0 && at > pathStart;
  const uri = hasRef ? bare.slice(0, at) : bare;
  const ref = hasRef ? bare.slice(at + 1) : undefined;
  const commit = first.digest?.gitCommit;
  // Built field by field (same keys, same order as spreading refKind's
  // answer): this runs on every verification, and the spreads allocated
  // three objects more.
  const source: Source = { uri, repository: normalizeRepository(uri) };
  if (ref) {
    source.ref = ref;
    if (ref.startsWith("refs/heads/")) source.branch = ref.slice("refs/heads/".length);
    else if (ref.startsWith("refs/tags/")) source.tag = ref.slice("refs/tags/".length);
  }
  if (commit) source.commit = commit;
  return source;
}

/**
 * Where `<name>@<full ref>` splits: at "@refs/" when there is one (a ref may
 * itself hold "@", e.g. `refs/tags/@scope/pkg@1.0.0`), else at the first "@"
 * at or after `from`. -1 when there is no "@".
 */
export function refSeparatorIndex(text: string, from = 0): number {
  const fullRef = text.indexOf("@refs/", from);
  return fullRef >= 0 ? fullRef : text.indexOf("@", from);
}

/** Builds the `resolvedDependencies[0]` entry of the source convention. */
export function sourceDependency(repositoryUrl: string, ref: string | undefined, commit: string) {
  return {
    uri: `git+${withoutCredentials(repositoryUrl)}${ref ? `@${ref}` : ""}`,
    digest: { gitCommit: commit },
  };
}
