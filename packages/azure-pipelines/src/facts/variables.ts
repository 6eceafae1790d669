import { type Environment, normalizeGitUrl, ProvenantError } from "@provenant/core";

/** The predefined variables the adapter reads, as the agent exports them to steps. */
export interface PipelineVariables {
  collectionUri?: string;
  collectionId?: string;
  project?: string;
  projectId?: string;
  definitionId?: string;
  definitionName?: string;
  buildId?: string;
  buildNumber?: string;
  reason?: string;
  repositoryUri?: string;
  repositoryProvider?: string;
  repositoryName?: string;
  repositoryId?: string;
  sourceVersion?: string;
  sourceBranch?: string;
  agentName?: string;
  agentId?: string;
  agentOs?: string;
  jobId?: string;
  jobName?: string;
  planId?: string;
  timelineId?: string;
  oidcRequestUri?: string;
}

function value(env: Environment, name: string): string | undefined {
  const text = env[name]?.trim();
  return text === undefined || text === "" ? undefined : text;
}

/**
 * Reads the predefined variables (learn.microsoft.com, "Use predefined
 * variables": `Build.BuildId` reaches steps as `BUILD_BUILDID`, and so on).
 */
export function readPipelineVariables(env: Environment): PipelineVariables {
  return {
    collectionUri: value(env, "SYSTEM_COLLECTIONURI") ?? value(env, "SYSTEM_TEAMFOUNDATIONCOLLECTIONURI"),
    collectionId: value(env, "SYSTEM_COLLECTIONID"),
    project: value(env, "SYSTEM_TEAMPROJECT"),
    projectId: value(env, "SYSTEM_TEAMPROJECTID"),
    definitionId: value(env, "SYSTEM_DEFINITIONID"),
    definitionName: value(env, "BUILD_DEFINITIONNAME"),
    buildId: value(env, "BUILD_BUILDID"),
    buildNumber: value(env, "BUILD_BUILDNUMBER"),
    reason: value(env, "BUILD_REASON"),
    repositoryUri: value(env, "BUILD_REPOSITORY_URI"),
    repositoryProvider: value(env, "BUILD_REPOSITORY_PROVIDER"),
    repositoryName: value(env, "BUILD_REPOSITORY_NAME"),
    repositoryId: value(env, "BUILD_REPOSITORY_ID"),
    sourceVersion: value(env, "BUILD_SOURCEVERSION"),
    sourceBranch: value(env, "BUILD_SOURCEBRANCH"),
    agentName: value(env, "AGENT_NAME"),
    agentId: value(env, "AGENT_ID"),
    agentOs: value(env, "AGENT_OS"),
    jobId: value(env, "SYSTEM_JOBID"),
    jobName: value(env, "SYSTEM_JOBDISPLAYNAME") ?? value(env, "AGENT_JOBNAME"),
    planId: value(env, "SYSTEM_PLANID"),
    timelineId: value(env, "SYSTEM_TIMELINEID"),
    oidcRequestUri: value(env, "SYSTEM_OIDCREQUESTURI"),
  };
}

/** `https://dev.azure.com/acme` → `https://dev.azure.com/acme/`: the form Azure puts in `System.CollectionUri`. */
export function normalizeCollectionUri(uri: string): string {
  let url: URL;
  try {
    url = new URL(uri);
  } catch (cause) {
    throw new ProvenantError("PLATFORM_FACTS_MISSING", `SYSTEM_COLLECTIONURI is ${uri}; expected a URL like https://dev.azure.com/<organization>/`, { cause });
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ProvenantError("PLATFORM_FACTS_MISSING", `SYSTEM_COLLECTIONURI is ${uri}; expected an http(s) URL`);
  }
  url.username = "";
  url.password = "";
  url.search = "";
  url.hash = "";
  return url.href.endsWith("/") ? url.href : `${url.href}/`;
}

/**
 * The organization name: `dev.azure.com/<org>/`, the older
 * `<org>.visualstudio.com/`, or an Azure DevOps Server collection
 * (`https://tfs.example/tfs/<collection>/`).
 */
export function organizationOf(collectionUri: string): string {
  const url = new URL(collectionUri);
  const segments = url.pathname.split("/").filter((segment) => segment !== "");
  if (url.hostname === "dev.azure.com" && segments[0]) return decodeURIComponent(segments[0]);
  const legacy = /^([^.]+)\.visualstudio\.com$/.exec(url.hostname);
  if (legacy) return legacy[1]!;
  const last = segments.at(-1);
  return last ? decodeURIComponent(last) : url.hostname;
}

/**
 * Azure Repos clone URLs carry the organization as a user name
 * (`https://acme@dev.azure.com/acme/app/_git/app`); the source convention
 * records `https://host/path` without it.
 */
export function repositoryUrlOf(uri: string, from: string): string {
  const url = normalizeGitUrl(uri);
  if (!url) {
    throw new ProvenantError("PLATFORM_FACTS_MISSING", `${from} is ${uri}; expected a git repository URL (https or ssh)`);
  }
  // normalizeGitUrl decodes the path; project names often hold spaces, and
  // a recorded URI must stay a URI (`Payments%20Platform`, as Azure clones it).
  const { origin, pathname } = new URL(url);
  return `${origin}${pathname
    .split("/")
    .map((segment) => encodeURIComponent(decodeURIComponent(segment)))
    .join("/")}`;
}
