import { ProvenantError } from "@provenant/core";
import { z } from "zod";
import type { JenkinsBuildDetails, JenkinsCause } from "./types.js";

/** Jenkins' own names for a user API token, as jenkins-cli.jar reads them. */
export const API_USER_VARIABLE = "JENKINS_USER_ID";
export const API_TOKEN_VARIABLE = "JENKINS_API_TOKEN";

// The remote access API's JSON for a run (`<BUILD_URL>api/json`): actions
// are a list where some entries are `{}`, causes live in `CauseAction` and
// parameters in `ParametersAction`; `timestamp` is epoch milliseconds and
// `duration` stays 0 while `building` is true.
const CauseSchema = z.looseObject({
  _class: z.string().optional(),
  shortDescription: z.string().optional(),
  userId: z.string().nullish(),
  upstreamProject: z.string().optional(),
  upstreamBuild: z.number().int().optional(),
  upstreamUrl: z.string().optional(),
});
const ParameterSchema = z.looseObject({
  _class: z.string().optional(),
  name: z.string(),
  value: z.unknown().optional(),
});
const ActionSchema = z
  .looseObject({
    causes: z.array(CauseSchema).optional(),
    parameters: z.array(ParameterSchema).optional(),
  })
  .nullable();
const BuildSchema = z.looseObject({
  actions: z.array(ActionSchema).default([]),
  timestamp: z.number().optional(),
  duration: z.number().optional(),
  building: z.boolean().optional(),
});

// Only what the provenance records, so the controller sends less.
const TREE =
  "actions[causes[_class,shortDescription,userId,upstreamProject,upstreamBuild,upstreamUrl],parameters[_class,name,value]],timestamp,duration,building";

// Password parameters (core's PasswordParameterValue and plugins' look-alikes)
// must never reach a provenance document, whatever the API chooses to show.
const SECRET_PARAMETER = /password|secret|credential/i;

export interface ApiCredentials {
  user: string;
  apiToken: string;
}

/**
 * Reads causes, parameters and timing from `<BUILD_URL>api/json` with a user
 * API token. Throws IO_ERROR when the controller cannot be reached or answers
 * something else than a build; callers turn that into a warning.
 */
export async function fetchBuildDetails(
  buildUrl: string,
  credentials: ApiCredentials,
  fetcher: typeof globalThis.fetch,
): Promise<JenkinsBuildDetails> {
  const url = `${buildUrl}api/json?tree=${encodeURIComponent(TREE)}`;
  const where = `${buildUrl}api/json`;
  let response: Response;
  try {
    response = await fetcher(url, {
      headers: {
        accept: "application/json",
        authorization: `Basic ${Buffer.from(`${credentials.user}:${credentials.apiToken}`).toString("base64")}`,
      },
      // A redirect could carry the token to another origin.
      redirect: "error",
      signal: AbortSignal.timeout(10_000),
    });
  } catch (cause) {
    throw new ProvenantError("IO_ERROR", `cannot reach ${where}: ${(cause as Error).message}`, { cause });
  }
  if (!response.ok) {
    const hint = response.status === 401 || response.status === 403 ? ` (check ${API_USER_VARIABLE} and ${API_TOKEN_VARIABLE})` : "";
    throw new ProvenantError("IO_ERROR", `${where} answered HTTP ${response.status}; expected 200${hint}`);
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch (cause) {
    throw new ProvenantError("IO_ERROR", `${where} did not answer JSON`, { cause });
  }
  const parsed = BuildSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ProvenantError("IO_ERROR", `${where} does not look like a Jenkins build: ${issue?.path.join(".")}: ${issue?.message}`);
  }
  return buildDetails(parsed.data);
}

function buildDetails(build: z.infer<typeof BuildSchema>): JenkinsBuildDetails {
  const causes: JenkinsCause[] = [];
  const parameters: Record<string, string | number | boolean> = {};
  const parameterNames: string[] = [];
  for (const action of build.actions) {
    for (const cause of action?.causes ?? []) {
      causes.push({
        type: cause._class ?? "unknown",
        ...(cause.shortDescription ? { description: cause.shortDescription } : {}),
        ...(cause.userId ? { userId: cause.userId } : {}),
        ...(cause.upstreamProject ? { upstreamProject: cause.upstreamProject } : {}),
        ...(cause.upstreamBuild !== undefined ? { upstreamBuild: cause.upstreamBuild } : {}),
        ...(cause.upstreamUrl ? { upstreamUrl: cause.upstreamUrl } : {}),
      });
    }
    for (const parameter of action?.parameters ?? []) {
      parameterNames.push(parameter.name);
      if (SECRET_PARAMETER.test(parameter._class ?? "")) continue;
      const value = parameter.value;
      if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
        parameters[parameter.name] = value;
      }
    }
  }
  const startedOn = build.timestamp !== undefined ? new Date(build.timestamp) : undefined;
  return {
    causes,
    parameters,
    parameterNames,
    ...(startedOn ? { startedOn } : {}),
    ...(build.building === false && build.duration !== undefined ? { durationMs: build.duration } : {}),
  };
}
