/**
 * Turns any git remote into the `https://host/path` form the source
 * convention records, and strips credentials: scp-style `git@host:org/repo`,
 * `ssh://git@host:2222/org/repo.git`, `git://`, and `https://user:token@host/…`
 * all become `https://host/org/repo`. A token in a remote URL must never reach
 * a provenance document or a log. Returns undefined for local paths.
 */
export function normalizeGitUrl(remote: string): string | undefined {
  const text = remote.trim();
  if (text === "") return undefined;
  // scp-like syntax, `host:path` or `host:/path` (git accepts both).
  const scp = /^(?:[^@/\s]+@)?([^:/\s]+):(.+)$/.exec(text);
  if (scp && !/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    return `https://${scp[1]!.toLowerCase()}/${trimPath(scp[2]!)}`;
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (!["http:", "https:", "ssh:", "git:", "git+ssh:", "ssh+git:"].includes(url.protocol)) return undefined;
  // ssh ports say nothing about the repository's https address; http(s) ports do.
  const keepPort = (url.protocol === "https:" || url.protocol === "http:") && url.port !== "";
  const host = `${url.hostname.toLowerCase()}${keepPort ? `:${url.port}` : ""}`;
  // The source convention records https URLs; policies match host/path
  // without the scheme, so an http remote is recorded in the same form.
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    return undefined; // a malformed %-escape: no repository address to record
  }
  return `https://${host}/${trimPath(path)}`;
}

function trimPath(path: string): string {
  return path.replace(/^\/+/, "").replace(/\/+$/, "").replace(/\.git$/, "");
}
