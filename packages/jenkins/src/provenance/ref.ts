import { type JenkinsScm, REF_VARIABLES, type RefVariable } from "../facts/types.js";

/** The ref a build's facts name, or why none is recorded when that is not plain. */
export interface SourceRefResolution {
  ref?: string;
  /** Set when a ref was left out for a reason the user should hear about. */
  warning?: string;
}

/**
 * The full git ref a Jenkins build checked out, for the source convention
 * (DESIGN.md), or undefined when Jenkins does not name one.
 */
export function sourceRef(scm: JenkinsScm): string | undefined {
  return resolveSourceRef(scm).ref;
}

/**
 * First match wins (docs/buildtypes/jenkins-v1.md):
 *
 * - Multibranch tag builds set `TAG_NAME` (and `BRANCH_NAME` to the same name).
 * - Pull/merge request builds (`CHANGE_ID`) record no ref: depending on the
 *   branch source's strategy Jenkins builds the change's head or a merge it
 *   made locally, and no remote ref names the latter. `change` says what was
 *   built instead, and a branch or tag policy rightly fails on them.
 * - Multibranch branch builds set `BRANCH_NAME` to the plain branch name.
 * - Freestyle and pipeline jobs only have the Git plugin's `GIT_BRANCH`.
 *
 * No rule applies when a build parameter is named after one of their
 * variables (`refParameters`).
 *
 * Each rule may only be reached once the ones above it are known not to
 * apply. From an ID token that is known only when the token has a claim for
 * the variable (the plugin then sends `${TAG_NAME}` unexpanded); a token
 * without a `tag_name` claim cannot tell a tag named `main` from a branch, nor
 * one without `branch_name` a multibranch `GIT_BRANCH` of `feature/main`
 * (the bare name there) from `origin/main`.
 */
export function resolveSourceRef(scm: JenkinsScm): SourceRefResolution {
  if (scm.refParameters?.length) return parameterShadowed(scm.refParameters);
  if (scm.tagName) return { ref: `refs/tags/${scm.tagName}` };
  if (scm.change) return {};
  // Each rule: the variables of the rules above it must have been claimed.
  if (scm.branchName) return unlessUnclaimed(scm, REF_VARIABLES.slice(0, 2)) ?? { ref: `refs/heads/${scm.branchName}` };
  const gitBranch = scm.gitBranch;
  // Without a git_branch claim a freestyle or Pipeline job's ref is unknown,
  // not absent: say which claim to add rather than record nothing silently.
  if (gitBranch === undefined) return unlessUnclaimed(scm, REF_VARIABLES) ?? {};
  if (gitBranch === "detached") return {};
  return unlessUnclaimed(scm, REF_VARIABLES.slice(0, 3)) ?? gitBranchRef(gitBranch);
}

/**
 * Parameters that may decide the ref: Jenkins gives build parameters to the
 * build's environment, from which the OIDC Provider plugin also expands
 * claim templates, so whoever starts a job with a `TAG_NAME` parameter could
 * otherwise name any tag.
 */
export function isRefParameter(name: string): boolean {
  return name === "TAG_NAME" || name === "BRANCH_NAME" || name.startsWith("CHANGE_");
}

function parameterShadowed(names: string[]): SourceRefResolution {
  return {
    warning:
      `no source ref recorded: the build has ${names.length === 1 ? "a parameter" : "parameters"} named ${names.join(", ")}, ` +
      "which Jenkins passes on as the variable of the same name (and into ID token claims), so its value is whatever started the build, " +
      "not what was checked out; rename the parameter (docs/buildtypes/jenkins-v1.md)",
  };
}

function unlessUnclaimed(scm: JenkinsScm, above: readonly RefVariable[]): SourceRefResolution | undefined {
  const unclaimed = above.filter((name) => scm.unclaimed?.includes(name));
  if (unclaimed.length === 0) return undefined;
  const claims = unclaimed.map((name) => `${name.toLowerCase()}=\${${name}}`).join(", ");
  return {
    warning:
      `no source ref recorded: the ID token has no ${unclaimed.map((name) => name.toLowerCase()).join(" or ")} claim, ` +
      `so it cannot tell which branch or tag this build is; add the build claim templates ${claims}, marked Optional on oidc-provider 170.x and later, ` +
      `and list them in the fixed claim provenant_ref_claims (docs/buildtypes/jenkins-v1.md)`,
  };
}

// Only the remote Jenkins names by default is stripped: elsewhere the text
// before the first `/` may be part of the branch's own name (`feature/main`
// is a multibranch branch, not remote `feature`'s `main`), and remote names
// may hold `/` themselves.
const ORIGIN_FORMS = ["origin/", "refs/remotes/origin/"];

function gitBranchRef(gitBranch: string): SourceRefResolution {
  const origin = ORIGIN_FORMS.find((prefix) => gitBranch.startsWith(prefix) && gitBranch.length > prefix.length);
  if (origin) return { ref: `refs/heads/${gitBranch.slice(origin.length)}` };
  if (gitBranch.startsWith("refs/") && !gitBranch.startsWith("refs/remotes/")) return { ref: gitBranch };
  return {
    warning:
      `no source ref recorded: GIT_BRANCH ${JSON.stringify(gitBranch)} is not origin/<branch>, refs/remotes/origin/<branch> or a full ref, ` +
      "so which branch it names is ambiguous; name the remote origin, or check out a full ref (refs/heads/<branch>)",
  };
}
