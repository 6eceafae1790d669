import type { Provenance } from "../schemas/provenance.js";

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
  // The ref starts at the last "@" that follows the host: a git ref may not
  // contain "@{", and credentials are never recorded, so that "@" is ours.
  const schemeEnd = bare.indexOf("://") + 3;
  const at = bare.lastIndexOf("@");
  const hasRef = at > schemeEnd && at > bare.indexOf("/", schemeEnd);
  const uri = hasRef ? bare.slice(0, at) : bare;
  const ref = hasRef ? bare.slice(at + 1) : undefined;
  const commit = first.digest?.gitCommit;
  return {
    uri,
    repository: normalizeRepository(uri),
    ...(ref ? { ref, ...refKind(ref) } : {}),
    ...(commit ? { commit } : {}),
  };
}

/** Builds the `resolvedDependencies[0]` entry of the source convention. */
export function sourceDependency(repositoryUrl: string, ref: string | undefined, commit: string) {
  return {
    uri: `git+${repositoryUrl}${ref ? `@${ref}` : ""}`,
    digest: { gitCommit: commit },
  };
}
