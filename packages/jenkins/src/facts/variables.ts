import { type Environment, normalizeGitUrl, ProvenantError } from "@provenant/core";
import type { JenkinsChange, JenkinsScm } from "./types.js";

/** Where a set of SCM values came from, for messages. */
export type ScmOrigin = "environment" | "ID token";

/**
 * Looks a Jenkins variable up by its name (`GIT_URL`). Values that are empty
 * or an unexpanded `${NAME}` or `$NAME` count as unset: the OIDC Provider
 * plugin leaves a claim template's macro as is when the build has no such
 * variable (hudson.Util#replaceMacro takes both forms), and the `$NAME` form
 * never trips 170.x's abort, which looks for `${`.
 */
export type VariableLookup = (name: string) => string | undefined;

export function environmentLookup(env: Environment): VariableLookup {
  return (name) => present(env[name]);
}

export function present(value: unknown): string | undefined {
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim();
  if (trimmed === "" || /^\$(?:\{[A-Za-z0-9_.]+\}|[A-Za-z0-9_]+)$/.test(trimmed)) return undefined;
  return trimmed;
}

export function missing(name: string, what: string, hint: string): ProvenantError {
  return new ProvenantError("PLATFORM_FACTS_MISSING", `${name} is not set; expected ${what}. ${hint}`);
}

const JENKINS_HINT = "Is this a Jenkins build? Run provenant inside a build step, or pass --platform local.";

export function requireVariable(lookup: VariableLookup, name: string, what: string): string {
  const value = lookup(name);
  if (value === undefined) throw missing(name, what, JENKINS_HINT);
  return value;
}

/**
 * An http(s) URL Jenkins set, without any user information: these end up in
 * the provenance and in logs. The message never repeats the value, which may
 * be the very credential being kept out.
 */
export function publicUrl(value: string, name: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ProvenantError("PLATFORM_FACTS_MISSING", `${name} is not a URL; expected an http(s) URL such as https://jenkins.example.com/`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ProvenantError("PLATFORM_FACTS_MISSING", `${name} uses ${url.protocol}; expected an http(s) URL`);
  }
  url.username = "";
  url.password = "";
  return url.href;
}

export function withTrailingSlash(url: string): string {
  return url.endsWith("/") ? url : `${url}/`;
}

export function wholeNumber(value: string, name: string): number {
  if (!/^\d+$/.test(value)) {
    throw new ProvenantError("PLATFORM_FACTS_MISSING", `${name} is ${JSON.stringify(value)}; expected a whole number`);
  }
  return Number.parseInt(value, 10);
}

/** The names the Git plugin and multibranch projects set, in both sources. */
export const SCM_VARIABLES = [
  "GIT_URL",
  "GIT_COMMIT",
  "GIT_BRANCH",
  "GIT_LOCAL_BRANCH",
  "BRANCH_NAME",
  "TAG_NAME",
  "CHANGE_ID",
  "CHANGE_URL",
  "CHANGE_TARGET",
  "CHANGE_BRANCH",
] as const;

const CHECKOUT_HINT =
  "Provenant records the checkout the Jenkins Git plugin made: declarative pipelines and freestyle jobs set GIT_URL and GIT_COMMIT; " +
  "in a scripted pipeline pass the result of `checkout scm` to provenantAttest(scmVars: ...).";

/**
 * Reads the checkout from Jenkins variables (the environment, or an ID
 * token's claims named after them). `GIT_URL` is normalised to
 * `https://host/path` and loses any credentials here, before anything else
 * can see it.
 */
export function readScm(lookup: VariableLookup, origin: ScmOrigin): JenkinsScm {
  // Jobs with several remotes get GIT_URL_1, GIT_URL_2… instead of GIT_URL.
  const remote = lookup("GIT_URL") ?? lookup("GIT_URL_1");
  if (remote === undefined) throw missing(`GIT_URL (${origin})`, "the git remote the build checked out", CHECKOUT_HINT);
  const repositoryUrl = normalizeGitUrl(remote);
  if (repositoryUrl === undefined) {
    throw new ProvenantError(
      "PLATFORM_FACTS_MISSING",
      `GIT_URL (${origin}) is not a remote Provenant can record; expected an https://, ssh:// or scp-style host:path git URL, not a local path`,
    );
  }
  const commit = lookup("GIT_COMMIT")?.toLowerCase();
  if (commit === undefined) throw missing(`GIT_COMMIT (${origin})`, "the commit the build checked out", CHECKOUT_HINT);
  if (!/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(commit)) {
    throw new ProvenantError(
      "PLATFORM_FACTS_MISSING",
      `GIT_COMMIT (${origin}) is ${JSON.stringify(commit)}; expected a full 40- or 64-character hex commit id`,
    );
  }
  const changeId = lookup("CHANGE_ID");
  let change: JenkinsChange | undefined;
  if (changeId !== undefined) {
    const url = lookup("CHANGE_URL");
    const target = lookup("CHANGE_TARGET");
    const branch = lookup("CHANGE_BRANCH");
    change = {
      id: changeId,
      ...(url ? { url: publicUrl(url, `CHANGE_URL (${origin})`) } : {}),
      ...(target ? { target } : {}),
      ...(branch ? { branch } : {}),
    };
  }
  const optional = {
    gitBranch: lookup("GIT_BRANCH"),
    localBranch: lookup("GIT_LOCAL_BRANCH"),
    branchName: lookup("BRANCH_NAME"),
    tagName: lookup("TAG_NAME"),
  };
  return {
    repositoryUrl,
    commit,
    ...Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined)),
    ...(change ? { change } : {}),
  };
}
