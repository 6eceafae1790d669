import type { JenkinsScm } from "../facts/types.js";

/**
 * The full git ref a Jenkins build checked out, for the source convention
 * (DESIGN.md), or undefined when Jenkins does not name one.
 *
 * - Multibranch tag builds set `TAG_NAME` (and `BRANCH_NAME` to the same name).
 * - Pull/merge request builds (`CHANGE_ID`) record no ref: depending on the
 *   branch source's strategy Jenkins builds the change's head or a merge it
 *   made locally, and no remote ref names the latter. `change` says what was
 *   built instead, and a branch or tag policy rightly fails on them.
 * - Multibranch branch builds set `BRANCH_NAME` to the plain branch name.
 * - Freestyle and pipeline jobs only have the Git plugin's `GIT_BRANCH`,
 *   `<remote>/<branch>` (e.g. `origin/feature/x`), or a full ref when the job
 *   builds one; `detached` when the checkout names none.
 */
export function sourceRef(scm: JenkinsScm): string | undefined {
  if (scm.tagName) return `refs/tags/${scm.tagName}`;
  if (scm.change) return undefined;
  if (scm.branchName) return `refs/heads/${scm.branchName}`;
  const gitBranch = scm.gitBranch;
  if (gitBranch && gitBranch !== "detached") {
    if (gitBranch.startsWith("refs/")) return gitBranch;
    // "Check out to a specific local branch" gives the bare name; prefer it
    // when it agrees, since a remote name is not always "origin".
    if (scm.localBranch && gitBranch.endsWith(`/${scm.localBranch}`)) return `refs/heads/${scm.localBranch}`;
    const slash = gitBranch.indexOf("/");
    return `refs/heads/${slash === -1 ? gitBranch : gitBranch.slice(slash + 1)}`;
  }
  if (scm.localBranch && scm.localBranch !== "**") return `refs/heads/${scm.localBranch}`;
  return undefined;
}
