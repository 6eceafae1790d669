/**
 * The one credential-stripping function for URLs: every URL an adapter writes
 * into provenance (repository, job, pipeline, build, server) and every image
 * reference the CLI echoes goes through it. A signed provenance document is
 * published and kept for years; a token inside a URL would be published with it.
 *
 * Removed: userinfo (`https://user:token@host`, `oci://u:PASS@registry`) and
 * query parameters whose names say they carry a secret (`private_token`,
 * `access_token`, `X-Amz-Signature`, `sig`, …). Other parameters stay: an
 * Azure build results URL needs its `?buildId=`.
 */
const SECRET_PARAMETER = /token|secret|passw|pwd|auth|credential|signature|^sig$|^key$|apikey|api_key|^code$|session/i;

// scheme://userinfo@ — matched by hand where the text is not a URL the WHATWG
// parser accepts, so that a malformed value still loses its credentials.
const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i;

export function withoutCredentials(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url.replace(USERINFO, "$1");
  }
  // Only URLs with an authority can carry userinfo; `mailto:a@b` and `git+…@ref` paths are left as written.
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return url;
  let changed = false;
  if (parsed.username !== "" || parsed.password !== "") changed = true;
  const secretNames = [...parsed.searchParams.keys()].filter((name) => SECRET_PARAMETER.test(name));
  if (secretNames.length > 0) changed = true;
  if (!changed) return url;
  // Rebuild from the original text rather than `parsed.href`, which would
  // also normalise what needs no change (case, default ports, escapes).
  let text = url.replace(USERINFO, "$1");
  const queryStart = text.indexOf("?");
  if (secretNames.length > 0 && queryStart >= 0) {
    const hashStart = text.indexOf("#", queryStart);
    const query = text.slice(queryStart + 1, hashStart >= 0 ? hashStart : undefined);
    const kept = query.split("&").filter((pair) => {
      const name = pair.split("=")[0] ?? "";
      let decoded = name;
      try {
        decoded = decodeURIComponent(name.replace(/\+/g, " "));
      } catch {
        // an undecodable name is judged as written
      }
      return !SECRET_PARAMETER.test(decoded) && pair !== "";
    });
    text = `${text.slice(0, queryStart)}${kept.length > 0 ? `?${kept.join("&")}` : ""}${hashStart >= 0 ? text.slice(hashStart) : ""}`;
  }
  return text;
}

/** True when `url` holds userinfo or a secret-named query parameter. */
export function hasCredentials(url: string): boolean {
  return withoutCredentials(url) !== url;
}

const URL_WITH_AUTHORITY = /^(?:git\+)?[a-z][a-z0-9+.-]*:\/\//i;

/**
 * Applies `withoutCredentials` to every string in a provenance document that
 * is a URL with an authority (a `git+` prefix included). The adapters route
 * their URLs through `withoutCredentials` themselves; this is the net under
 * them, run by `buildStatement`, so that a field a future adapter forgets
 * cannot carry a token into a signed document.
 */
export function stripUrlCredentials<T>(value: T): T {
  if (typeof value === "string") {
    if (!URL_WITH_AUTHORITY.test(value)) return value;
    const git = value.startsWith("git+");
    const cleaned = withoutCredentials(git ? value.slice(4) : value);
    return (git ? `git+${cleaned}` : cleaned) as T;
  }
  if (Array.isArray(value)) return value.map((item) => stripUrlCredentials(item)) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stripUrlCredentials(v)])) as T;
  }
  return value;
}

// A URL with userinfo anywhere in free text: `scheme://user[:password]@`.
const USERINFO_IN_TEXT = /([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/gi;
// Secret-named query parameters anywhere in free text.
const SECRET_PARAMETER_IN_TEXT = /([?&])((?:[\w.-]*(?:token|secret|passw|pwd|auth|credential|signature|apikey|api_key|session)[\w.-]*|sig|key|code)=)[^\s&#"']*/gi;

/**
 * Text that may quote a URL (an error message naming `oci://u:PASS@host/…`,
 * a usage error echoing an argument) with the userinfo and secret-named query
 * values of every URL in it removed. Front ends pass every message through
 * this before printing it.
 */
// `user:password@host` without a scheme, as a parser quotes an image argument
// after taking `oci://` off it: a word holding ":" then "@" before any "/".
const BARE_USERINFO_IN_TEXT = /(^|[\s"'(=<])[^\s"'/@:]+:[^\s"'/@]+@(?=[^\s"'/@]+)/g;

export function redactCredentials(text: string): string {
  return text
    .replace(USERINFO_IN_TEXT, "$1")
    .replace(BARE_USERINFO_IN_TEXT, "$1")
    .replace(SECRET_PARAMETER_IN_TEXT, "$1$2[redacted]");
}
