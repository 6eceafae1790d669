import { ProvenantError } from "../error.js";

/**
 * Source URIs are matched as parsed host and path, never as raw text
 * (issue 12 §3): matched as text, `*.example.com/acme/app` accepted
 * `git+https://evil.com#.example.com/acme/app`, and `github.com/acme/*`
 * accepted `x\..\..\evil`. One parser serves the CLI's `--source-uri` and
 * policy files (@provenant/policy calls `matchSourceUri`).
 */
export interface SourceLocation {
  /** Lower-case host, with `:port` when one was written. */
  host: string;
  /** Path segments, lower-case, without a trailing `.git`; never empty, `.` or `..`. */
  segments: string[];
}

/** Why a source or a pattern was refused, or the parsed location. */
export type ParsedSource = { ok: true; location: SourceLocation } | { ok: false; why: string };

const SCHEME = /^(?:git\+)?[a-z][a-z0-9+.-]*:\/\//i;
// Printable ASCII only. Anything else (the Kelvin sign U+212A that lower-cases
// to "k", Cyrillic look-alikes, zero-width and bidi characters, NUL) is refused
// rather than folded: a policy must never be satisfied by a look-alike.
const PRINTABLE_ASCII = /^[\x21-\x7e]*$/;
const HOST_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const HOST_LABEL_PATTERN = /^[a-z0-9*](?:[a-z0-9*-]*[a-z0-9*])?$/;
const SEGMENT = /^[a-z0-9._~!$&'()+,;=:@%-]+$/;
const SEGMENT_PATTERN = /^[a-z0-9._~!$&'()+,;=:@%*-]+$/;

/**
 * Percent-escapes are compared as written (Azure Repos records a project
 * named "Payments Platform" as `Payments%20Platform`), so an escape must not
 * hide what the parser refuses in plain form: an encoded separator (`%2F`,
 * `%5C`), dot (`%2E`), `%` (double encoding), `?`, `#`, `@`, a control or a
 * byte outside ASCII (the start of a look-alike).
 */
function percentEscapeProblem(text: string): string | undefined {
  for (let i = text.indexOf("%"); i >= 0; i = text.indexOf("%", i + 1)) {
    const hex = text.slice(i + 1, i + 3);
    if (!/^[0-9a-fA-F]{2}$/.test(hex)) return "it holds a % that is not a percent-escape";
    const code = Number.parseInt(hex, 16);
    if (code < 0x20 || code > 0x7e || "/\\.%?#@".includes(String.fromCharCode(code))) {
      return `it holds a percent-encoded separator, dot, control or non-ASCII byte (%${hex})`;
    }
  }
  return undefined;
}

function parse(text: string, pattern: boolean): ParsedSource {
  const refuse = (why: string): ParsedSource => ({ ok: false, why });
  if (text === "") return refuse("it is empty");
  if (!PRINTABLE_ASCII.test(text)) return refuse("it holds a space, a control or a non-ASCII character (look-alikes are refused)");
  if (text.includes("\\")) return refuse("it holds a backslash");
  const escapeProblem = percentEscapeProblem(text);
  if (escapeProblem) return refuse(escapeProblem);
  if (text.includes("?")) return refuse("it holds a query (?)");
  if (text.includes("#")) return refuse("it holds a fragment (#)");
  const rest = text.replace(SCHEME, "");
  const slash = rest.indexOf("/");
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  if (authority.includes("@")) return refuse("it holds userinfo (user@host)");
  const [hostName = "", port, ...extra] = authority.toLowerCase().split(":");
  const portRule = pattern ? /^(?:\d{1,5}|\*)$/ : /^\d{1,5}$/;
  if (extra.length > 0 || (port !== undefined && !portRule.test(port))) return refuse(`its port in ${authority} is not a number`);
  const labels = hostName.split(".");
  const labelRule = pattern ? HOST_LABEL_PATTERN : HOST_LABEL;
  if (labels.some((label) => !labelRule.test(label))) return refuse(`its host ${hostName} is not a DNS name`);
  const path = slash < 0 ? "" : rest.slice(slash + 1).replace(/\/+$/, "");
  const segments = path === "" ? [] : path.toLowerCase().split("/");
  if (segments.length === 0) return refuse("it names no repository path");
  for (const segment of segments) {
    if (segment === "") return refuse("its path holds an empty segment (//)");
    if (segment === "." || segment === "..") return refuse("its path holds a . or .. segment");
    if (!(pattern ? SEGMENT_PATTERN : SEGMENT).test(segment)) return refuse(`its path segment ${segment} holds a character a repository path does not`);
  }
  const last = segments.length - 1;
  if (segments[last]!.endsWith(".git") && segments[last] !== ".git") segments[last] = segments[last]!.slice(0, -4);
  return { ok: true, location: { host: port ? `${hostName}:${port}` : hostName, segments } };
}

/** Parses a recorded source URI (`https://host/path`, `git+https://…`, `host/path`) for matching. */
export function parseSourceLocation(text: string): ParsedSource {
  return parse(text, false);
}

// A gate sees the same repository in bundle after bundle (see parsedPatterns).
const parsedLocations = new Map<string, ParsedSource>();

/** parseSourceLocation, cached; the result is shared and must not be changed. */
export function sharedSourceLocation(text: string): ParsedSource {
  let parsed = parsedLocations.get(text);
  if (parsed === undefined) {
    parsed = parse(text, false);
    if (parsedLocations.size >= 256) parsedLocations.clear();
    parsedLocations.set(text, parsed);
  }
  return parsed;
}

// A gate checks the same pattern on every verification; parsing it each time
// was a measurable share of one. Bounded, so hostile input cannot grow it.
// Cached results are shared: nothing here or in sourceMatches changes them.
const parsedPatterns = new Map<string, ParsedSource>();

function parsePatternCached(text: string): ParsedSource {
  let parsed = parsedPatterns.get(text);
  if (parsed === undefined) {
    parsed = parse(text, true);
    if (parsedPatterns.size >= 256) parsedPatterns.clear();
    parsedPatterns.set(text, parsed);
  }
  return parsed;
}

/** Parses a `--source-uri` or policy pattern; throws INVALID_POLICY naming what is wrong. */
export function parseSourcePattern(text: string, where = "source pattern"): SourceLocation {
  const parsed = parsePatternCached(text);
  if (!parsed.ok) throw new ProvenantError("INVALID_POLICY", `${where} ${text}: ${parsed.why}; expected host/path such as github.com/acme/*`);
  // A copy: the caller may change what it is given; the cache must not change.
  return { host: parsed.location.host, segments: [...parsed.location.segments] };
}

/** Whether `text` is a pattern parseSourcePattern accepts (without building a copy). */
export function isSourcePattern(text: string): boolean {
  return parsePatternCached(text).ok;
}

/** The parsed pattern, shared from the cache (read-only), or the error parseSourcePattern would throw. */
export function sourcePatternOf(text: string, where = "source pattern"): SourceLocation {
  const parsed = parsePatternCached(text);
  return parsed.ok ? parsed.location : parseSourcePattern(text, where);
}

// Hand-written rather than picomatch: the glob applies to one host label or
// one path segment at a time, after parsing, so `*` can never cross a `/` or
// a `.` of the host whatever the value holds.
// A part without `*` is compared as text (what its anchored, escaped regex
// would match); compiled ones are kept, bounded, as for parsed patterns.
const compiledParts = new Map<string, RegExp>();

function globMatches(pattern: string, value: string): boolean {
  if (!pattern.includes("*")) return value === pattern;
  let regex = compiledParts.get(pattern);
  if (regex === undefined) {
    const body = pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("[^/]*");
    regex = new RegExp(`^${body}$`);
    if (compiledParts.size >= 256) compiledParts.clear();
    compiledParts.set(pattern, regex);
  }
  return regex.test(value);
}

function matchSegments(pattern: readonly string[], value: readonly string[]): boolean {
  if (pattern.length === 0) return value.length === 0;
  const [head, ...tail] = pattern;
  // `**` spans any number of whole segments, as in shell globs.
  if (head === "**") return value.some((_, i) => matchSegments(tail, value.slice(i))) || matchSegments(tail, []);
  return value.length > 0 && globMatches(head!, value[0]!) && matchSegments(tail, value.slice(1));
}

function matchHost(pattern: string, host: string): boolean {
  const [patternName = "", patternPort] = pattern.split(":");
  const [hostName = "", hostPort] = host.split(":");
  // A pattern's port may be `*` (any port, as for a test instance on 127.0.0.1:*).
  if (patternPort === "*" ? hostPort === undefined : patternPort !== hostPort) return false;
  const want = patternName.split(".");
  const have = hostName.split(".");
  // `*` in a host is one label (`*.example.com` matches `a.example.com`, not `a.b.example.com`).
  return want.length === have.length && want.every((label, i) => globMatches(label, have[i]!));
}

/** True when the parsed source lies under the parsed pattern. */
export function sourceMatches(pattern: SourceLocation, source: SourceLocation): boolean {
  return matchHost(pattern.host, source.host) && matchSegments(pattern.segments, source.segments);
}

// semver.org's grammar with one optional leading "v": node-semver's own
// parser also takes "=", spaces and "vv" ("loose" forms), which let
// `vv=v1.2.3` and ` v1.2.3` satisfy a range.
const STRICT_SEMVER =
  /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** The version a tag names (without its `v`), or undefined when the tag is not strict SemVer. */
export function strictSemverOf(tag: string): string | undefined {
  return STRICT_SEMVER.test(tag) ? tag.replace(/^v/, "") : undefined;
}
