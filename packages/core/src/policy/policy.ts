import picomatch from "picomatch";
import semver from "semver";
import * as z from "zod/mini";
import { parseWith } from "../schemas/parse.js";
import { refSeparatorIndex, type Source } from "../source/source.js";
import { parseSourceLocation, parseSourcePattern, sourceMatches, strictSemverOf } from "./source-match.js";

/**
 * What a deploy gate requires of provenance, in the habits of slsa-verifier
 * (`--builder-id`, `--source-uri`, `--source-branch`, `--source-tag`,
 * `--source-versioned-tag`). Every field is optional; absent means "any".
 */
const NonEmpty = z.string().check(z.minLength(1));

export const PolicySchema = z.strictObject({
  builderId: z.optional(NonEmpty),
  buildType: z.optional(NonEmpty),
  sourceUri: z.optional(
    NonEmpty.check(
      z.refine(
        (pattern) => {
          try {
            parseSourcePattern(pattern);
            return true;
          } catch {
            return false;
          }
        },
        { message: "expected host/path such as github.com/acme/* (no userinfo, query, fragment, backslash, %-escape, . or .. segment, non-ASCII character)" },
      ),
    ),
  ),
  sourceBranch: z.optional(NonEmpty),
  sourceTag: z.optional(NonEmpty),
  sourceVersionedTag: z.optional(
    z.string().check(
      z.refine((range) => semver.validRange(range) !== null, {
        message: "expected a semver range such as ^1.2.0 or >=1.2.0 <2",
      }),
    ),
  ),
  minimumLevel: z.optional(z.int().check(z.gte(0), z.lte(3))),
});
export type Policy = z.infer<typeof PolicySchema>;

export function parsePolicy(value: unknown): Policy {
  return parseWith(PolicySchema, value, "INVALID_POLICY", "policy");
}

export interface RuleResult {
  pass: boolean;
  reason: string;
}

function glob(pattern: string): (value: string) => boolean {
  // `*` stays within one path segment, `**` crosses them, as in shell globs.
  return picomatch(pattern, { dot: true, nobrace: false, noextglob: true });
}

/**
 * slsa-verifier's rule: a policy id with `@` must equal the builder id; one
 * without `@` matches the builder id's name part (before its `@ref`).
 */
export function matchBuilderId(expected: string, actual: string): RuleResult {
  const at = refSeparatorIndex(actual);
  const actualName = at >= 0 ? actual.slice(0, at) : actual;
  const pass = expected.includes("@") ? expected === actual : expected === actualName || expected === actual;
  return {
    pass,
    reason: pass ? `builder id is ${actual}` : `builder id is ${actual}; expected ${expected}`,
  };
}

/**
 * Matches the recorded source against a pattern after parsing both: host
 * case-insensitively, path segment by segment (see source-match.ts). A source
 * that holds userinfo, a query, a fragment, a backslash, a %-escape, a `.`/`..`
 * segment or a non-ASCII character never matches, whatever the pattern.
 */
export function matchSourceUri(expected: string, source: Source | undefined): RuleResult {
  if (!source) return { pass: false, reason: `the provenance records no git source; expected ${expected}` };
  let pattern: ReturnType<typeof parseSourcePattern>;
  try {
    pattern = parseSourcePattern(expected);
  } catch (error) {
    return { pass: false, reason: (error as Error).message };
  }
  const parsed = parseSourceLocation(source.uri);
  if (!parsed.ok) {
    return { pass: false, reason: `source ${source.uri} cannot be matched: ${parsed.why}; expected ${expected}` };
  }
  const pass = sourceMatches(pattern, parsed.location);
  return {
    pass,
    reason: pass
      ? `source ${source.repository} matches ${expected}`
      : `source is ${source.repository}; expected ${expected}`,
  };
}

export function matchBranch(expected: string, source: Source | undefined): RuleResult {
  const wanted = expected.replace(/^refs\/heads\//, "");
  if (!source?.branch) {
    return { pass: false, reason: `source ref is ${source?.ref ?? "not recorded"}; expected branch ${wanted}` };
  }
  const pass = glob(wanted)(source.branch);
  return {
    pass,
    reason: pass ? `built from branch ${source.branch}` : `built from branch ${source.branch}; expected ${wanted}`,
  };
}

export function matchTag(expected: string, source: Source | undefined): RuleResult {
  const wanted = expected.replace(/^refs\/tags\//, "");
  if (!source?.tag) {
    return { pass: false, reason: `source ref is ${source?.ref ?? "not recorded"}; expected tag ${wanted}` };
  }
  const pass = glob(wanted)(source.tag);
  return { pass, reason: pass ? `built from tag ${source.tag}` : `built from tag ${source.tag}; expected ${wanted}` };
}

export function matchVersionedTag(range: string, source: Source | undefined): RuleResult {
  if (!source?.tag) {
    return {
      pass: false,
      reason: `source ref is ${source?.ref ?? "not recorded"}; expected a tag in ${range}`,
    };
  }
  const version = strictSemverOf(source.tag);
  if (!version) {
    return {
      pass: false,
      reason: `tag ${source.tag} is not a semantic version (strict MAJOR.MINOR.PATCH, at most one leading v); expected one in ${range}`,
    };
  }
  const pass = semver.satisfies(version, range, { includePrerelease: false });
  return {
    pass,
    reason: pass ? `tag ${source.tag} is in ${range}` : `tag ${source.tag} is not in ${range}`,
  };
}
