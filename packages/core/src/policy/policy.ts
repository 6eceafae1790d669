import picomatch from "picomatch";
import semver from "semver";
import * as z from "zod/mini";
import { parseWith } from "../schemas/parse.js";
import { BUILD_TYPES } from "../buildtypes.js";
import type { Provenance } from "../schemas/provenance.js";
import { refSeparatorIndex, type Source } from "../source/source.js";
import { isPlainRecord } from "../schemas/fast.js";
import { isSourcePattern, sharedSourceLocation, sourceMatches, sourcePatternOf, strictSemverOf } from "./source-match.js";

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
        (pattern) => isSourcePattern(pattern),
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
  /** Full git commit the source must be at (gh's `--source-digest`). */
  sourceCommit: z.optional(
    z.string().check(z.regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/, { message: "expected a full lowercase hex commit (40 or 64 characters)" })),
  ),
  /** Predicate type the statement must carry (default SLSA provenance v1). */
  predicateType: z.optional(NonEmpty),
  /** Build inputs that must have been given these values (slsa-verifier's `--build-workflow-input`). */
  buildInputs: z.optional(z.record(NonEmpty, z.string())),
  /** Refuse provenance from self-hosted runners (GitHub and GitLab provenance record which). */
  denySelfHosted: z.optional(z.boolean()),
});
export type Policy = z.infer<typeof PolicySchema>;

export function parsePolicy(value: unknown): Policy {
  return fastPolicy(value) ?? parseWith(PolicySchema, value, "INVALID_POLICY", "policy");
}

const POLICY_TEXT_FIELDS = ["builderId", "buildType", "sourceBranch", "sourceTag", "predicateType"] as const;
const POLICY_FIELDS: readonly string[] = Object.keys(PolicySchema.def.shape);
const COMMIT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/**
 * PolicySchema written by hand (see schemas/fast.ts for the rule): core's
 * `verify` parses the policy it is given on every call, and a gate verifies
 * many bundles. `undefined` whenever it is not sure; zod then decides and
 * words the error. The source pattern and semver range are checked by the
 * same functions the schema's refinements call.
 */
function fastPolicy(value: unknown): Policy | undefined {
  if (!isPlainRecord(value)) return undefined;
  for (const key in value) if (!POLICY_FIELDS.includes(key)) return undefined;
  const text = (v: unknown) => v === undefined || (typeof v === "string" && v.length > 0);
  for (const field of POLICY_TEXT_FIELDS) if (!text(value[field])) return undefined;
  const { sourceUri, sourceVersionedTag, minimumLevel, sourceCommit, buildInputs, denySelfHosted } = value;
  if (sourceUri !== undefined && !(typeof sourceUri === "string" && sourceUri.length > 0 && isSourcePattern(sourceUri))) return undefined;
  if (sourceVersionedTag !== undefined && !(typeof sourceVersionedTag === "string" && semver.validRange(sourceVersionedTag) !== null)) return undefined;
  if (minimumLevel !== undefined && !(Number.isSafeInteger(minimumLevel) && (minimumLevel as number) >= 0 && (minimumLevel as number) <= 3)) return undefined;
  if (sourceCommit !== undefined && !(typeof sourceCommit === "string" && COMMIT.test(sourceCommit))) return undefined;
  if (denySelfHosted !== undefined && typeof denySelfHosted !== "boolean") return undefined;
  let inputs: Record<string, string> | undefined;
  if (buildInputs !== undefined) {
    if (!isPlainRecord(buildInputs)) return undefined;
    for (const key in buildInputs) if (key === "" || typeof buildInputs[key] !== "string") return undefined;
    inputs = { ...(buildInputs as Record<string, string>) };
  }
  // zod's output: the schema's keys, in its order, for those present.
  const out: Record<string, unknown> = {};
  for (const key of POLICY_FIELDS) if (Object.hasOwn(value, key)) out[key] = key === "buildInputs" ? inputs : value[key];
  return out as Policy;
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

/**
 * Matches the recorded source against a pattern after parsing both: host
 * case-insensitively, path segment by segment (see source-match.ts). A source
 * that holds userinfo, a query, a fragment, a backslash, a %-escape, a `.`/`..`
 * segment or a non-ASCII character never matches, whatever the pattern.
 */
// By pattern, then source: both strings are the same objects call after call
// (the policy's, and the uri the source cache was asked about), so their
// hashes are computed once, where a joined key was built and hashed anew.
const sourceAnswers = new Map<string, Map<string, boolean>>();

export function matchSourceUri(expected: string, source: Source | undefined): RuleResult {
  if (!source) return { pass: false, reason: `the provenance records no git source; expected ${expected}` };
  let pattern: ReturnType<typeof sourcePatternOf>;
  try {
    pattern = sourcePatternOf(expected);
  } catch (error) {
    return { pass: false, reason: (error as Error).message };
  }
  const parsed = sharedSourceLocation(source.uri);
  if (!parsed.ok) {
    return { pass: false, reason: `source ${source.uri} cannot be matched: ${parsed.why}; expected ${expected}` };
  }
  // The answer for one pattern and one source never changes; a gate asks it again and again.
  let answers = sourceAnswers.get(expected);
  if (answers === undefined) {
    if (sourceAnswers.size >= 256) sourceAnswers.clear();
    answers = new Map();
    sourceAnswers.set(expected, answers);
  }
  let pass = answers.get(source.uri);
  if (pass === undefined) {
    pass = sourceMatches(pattern, parsed.location);
    if (answers.size >= 256) answers.clear();
    answers.set(source.uri, pass);
  }
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

export function matchSourceCommit(expected: string, source: Source | undefined): RuleResult {
  const actual = source?.commit;
  if (!actual) return { pass: false, reason: `the provenance records no source commit; expected ${expected}` };
  const pass = actual.toLowerCase() === expected.toLowerCase();
  return { pass, reason: pass ? `source commit is ${actual}` : `source commit is ${actual}; expected ${expected}` };
}

/**
 * Where each buildType records the inputs its user gave: GitHub
 * `workflow_dispatch` inputs, Jenkins build parameters, Azure template
 * parameters. Values are compared as text.
 */
function buildInputsOf(provenance: Provenance): Record<string, unknown> | undefined {
  const external = provenance.buildDefinition.externalParameters as Record<string, unknown>;
  for (const field of ["inputs", "parameters", "templateParameters"]) {
    const value = external[field];
    if (value !== null && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  }
  return undefined;
}

export function matchBuildInputs(expected: Readonly<Record<string, string>>, provenance: Provenance): RuleResult {
  const inputs = buildInputsOf(provenance) ?? {};
  const wrong = Object.entries(expected).filter(([name, value]) => {
    const actual = inputs[name];
    return actual === undefined || actual === null || String(actual) !== value;
  });
  if (wrong.length === 0) {
    return { pass: true, reason: `build inputs ${Object.entries(expected).map(([n, v]) => `${n}=${v}`).join(", ")}` };
  }
  const shown = wrong.map(([name, value]) => {
    const actual = inputs[name];
    return `${name} is ${actual === undefined ? "not recorded" : JSON.stringify(actual)}, expected ${JSON.stringify(value)}`;
  });
  return { pass: false, reason: `build input ${shown.join("; ")}` };
}

/**
 * GitHub records `runner_environment` from its verified token; GitLab's
 * builder id ends in `/-/runners/gitlab-hosted` only when its verified token
 * said so. Other platforms do not record it in a form a verifier can trust.
 */
export function matchHostedRunner(provenance: Provenance): RuleResult {
  const buildType = provenance.buildDefinition.buildType;
  if (buildType === BUILD_TYPES.github) {
    const github = (provenance.buildDefinition.internalParameters as { github?: { runner_environment?: unknown } } | undefined)?.github;
    const environment = github?.runner_environment;
    const pass = environment === "github-hosted";
    return { pass, reason: pass ? "built on a GitHub-hosted runner" : `runner_environment is ${String(environment ?? "not recorded")}; expected github-hosted` };
  }
  if (buildType === BUILD_TYPES.gitlab) {
    const pass = provenance.runDetails.builder.id.endsWith("/-/runners/gitlab-hosted");
    return { pass, reason: pass ? "built on a GitLab-hosted runner" : `builder id is ${provenance.runDetails.builder.id}; expected a GitLab-hosted runner` };
  }
  return { pass: false, reason: `buildType ${buildType} does not record whether the runner was hosted; --deny-self-hosted applies to GitHub and GitLab provenance` };
}
