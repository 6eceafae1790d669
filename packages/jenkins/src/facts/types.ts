import type { FactsSource } from "@provenant/core";

/**
 * What Jenkins (the Git plugin, and multibranch projects) says about the
 * checkout, named after its variables. The repository URL is already
 * normalised: credentials a `GIT_URL` may carry never get this far.
 */
export interface JenkinsScm {
  /** `https://host/path` form of `GIT_URL`. */
  repositoryUrl: string;
  /** `GIT_COMMIT`. */
  commit: string;
  /** `GIT_BRANCH`: `origin/main` on freestyle and pipeline jobs, the branch or tag name on multibranch ones. */
  gitBranch?: string;
  /**
   * `GIT_LOCAL_BRANCH`, set when the job checks out to a local branch. Never
   * used for the ref: the job may give the local branch any name.
   */
  localBranch?: string;
  /** `BRANCH_NAME` (multibranch): the branch, the tag, or `PR-12`. */
  branchName?: string;
  /** `TAG_NAME` (multibranch tag builds). */
  tagName?: string;
  /** Set on multibranch pull/merge request builds. */
  change?: JenkinsChange;
  /**
   * Read from an ID token only: the variables deciding the kind of ref that
   * the token has no claim for at all. Their absence then says nothing, so
   * no ref is derived from the variables below them.
   */
  unclaimed?: RefVariable[];
  /**
   * Build parameters (from the JSON API) named like a variable that decides
   * the ref, e.g. `TAG_NAME`: Jenkins exposes parameters as variables, so
   * theirs is whatever started the build typed in, not what was checked out.
   */
  refParameters?: string[];
}

/** The variables that decide which kind of ref a build has. */
/** The variables that can decide the ref, in the order the ref rules try them. */
export const REF_VARIABLES = ["TAG_NAME", "CHANGE_ID", "BRANCH_NAME", "GIT_BRANCH"] as const;
export type RefVariable = (typeof REF_VARIABLES)[number];

export interface JenkinsChange {
  /** `CHANGE_ID`: the pull/merge request number. */
  id: string;
  /** `CHANGE_URL`. */
  url?: string;
  /** `CHANGE_TARGET`: the branch the change would merge into. */
  target?: string;
  /** `CHANGE_BRANCH`: the change's own branch. */
  branch?: string;
}

/** One entry of a build's `CauseAction` in the JSON API. */
export interface JenkinsCause {
  /** Java class, e.g. `hudson.model.Cause$UserIdCause`. */
  type: string;
  description?: string;
  userId?: string;
  upstreamProject?: string;
  upstreamBuild?: number;
  upstreamUrl?: string;
}

/** What `<BUILD_URL>api/json` adds when a user API token is given. */
export interface JenkinsBuildDetails {
  causes: JenkinsCause[];
  /** Build parameters by name; password parameters are never included. */
  parameters: Record<string, string | number | boolean>;
  /** Every parameter's name, password and file parameters included. */
  parameterNames: string[];
  startedOn?: Date;
  /** Only once the build has finished; a running build reports 0. */
  durationMs?: number;
}

/** Everything the pure `jenkinsProvenance` needs, read at the edge. */
export interface JenkinsFacts {
  /** `JENKINS_URL`, with a trailing slash: the controller, i.e. the builder. */
  controllerUrl: string;
  /** `JOB_NAME`, e.g. `team/app/main` for a multibranch branch job. */
  jobName: string;
  /** `JOB_URL` (or the token's `sub`). */
  jobUrl?: string;
  /** `BUILD_URL`: the invocation. */
  buildUrl: string;
  buildNumber: number;
  buildId?: string;
  buildTag?: string;
  /** `NODE_NAME`: `built-in` (older: `master`) or an agent's name. */
  nodeName?: string;
  executorNumber?: number;
  scm: JenkinsScm;
  details?: JenkinsBuildDetails;
  /** The verified ID token's issuer, when one was used: the controller's own, a folder's, or an external one. */
  tokenIssuer?: string;
  /** `external-oidc-token` when the token carried the checkout but its issuer is not the controller's own. */
  factsSource: Extract<FactsSource, "oidc-token" | "external-oidc-token" | "environment">;
}
