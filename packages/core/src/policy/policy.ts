import picomatch from "picomatch";
import semver from "semver";
import * as z from "zod/mini";
import { parseWith } from "../schemas/parse.js";
import { normalizeRepository, refSeparatorIndex, type Source } from "../source/source.js";

/**
 * What a deploy gate requires of provenance, in the habits of slsa-verifier
 * (`--builder-id`, `--source-uri`, `--source-branch`, `--source-tag`,
 * `--source-versioned-tag`). Every field is optional; absent means "any".
 */
const NonEmpty = z.string().check(z.minLength(1));

export const PolicySchema = z.strictObject({
  builderId: z.optional(NonEmpty),
  buildType: z.optional(NonEmpty),
  sourceUri: z.optional(NonEmpty),
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

// Compiling a glob costs more than the rest of a verification; a gate
// checks the same few patterns again and again. Bounded, so hostile input
// cannot grow it without limit.
const compiledGlobs = new Map<string, (value: string) => boolean>();

function glob(pattern: string): (value: string) => boolean {
  let matcher = compiledGlobs.get(pattern);
  if (!matcher) {
    // `*` stays within one path segment, `**` crosses them, as in shell globs.
    matcher = picomatch(pattern, { dot: true, nobrace: false, noextglob: true });
    if (compiledGlobs.size >= 256) compiledGlobs.clear();
    compiledGlobs.set(pattern, matcher);
  }
  return matcher;
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

export function matchSourceUri(expected: string, source: Source | undefined): RuleResult {
  if (!source) return { pass: false, reason: `the provenance records no git source; expected ${expected}` };
  const pattern = normalizeRepository(expected);
  const pass = glob(pattern)(source.repository);
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
  const version = semver.clean(source.tag, { loose: false });
  if (!version) {
    return { pass: false, reason: `tag ${source.tag} is not a semantic version; expected one in ${range}` };
  }
  const pass = semver.satisfies(version, range, { includePrerelease: false });
  return {
    pass,
    reason: pass ? `tag ${source.tag} is in ${range}` : `tag ${source.tag} is not in ${range}`,
  };
}
