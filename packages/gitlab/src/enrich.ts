import type { CollectContext } from "@provenant/core";
import { createRequesterFn, type RequestOptions } from "@gitbeaker/requester-utils";
import { Jobs, Pipelines } from "@gitbeaker/rest";
import { z } from "zod";
import { type ApiFacts, definedOnly, type GitLabFacts } from "./facts.js";

/** Set to `false` to skip the REST API calls. */
export const API_SWITCH_VARIABLE = "PROVENANT_GITLAB_API";
/** A personal, project or group access token with `read_api`, when the job token is not enough. */
export const API_TOKEN_VARIABLE = "PROVENANT_GITLAB_API_TOKEN";

const API_TIMEOUT_MS = 10_000;

const Time = z
  .string()
  .nullish()
  .transform((value) => value ?? undefined);

// Shapes from GitLab's REST API v4 docs: "Jobs API > Get a single job" and
// "Get job tokens job" (the job entity with `user`, `runner`, `pipeline`), and
// "Pipelines API > Get a single pipeline". Only the fields read here are named.
const JobSchema = z.looseObject({
  created_at: Time,
  started_at: Time,
  user: z.looseObject({ username: z.string() }).nullish(),
  runner: z.looseObject({ is_shared: z.boolean().nullish(), runner_type: z.string().nullish() }).nullish(),
  pipeline: z.looseObject({ created_at: Time }).nullish(),
});
const PipelineSchema = z.looseObject({ created_at: Time, started_at: Time, finished_at: Time });

/**
 * gitbeaker's own requester retries 429/502 for minutes and always uses the
 * global fetch; this one uses the context's fetch, a short deadline, no retry:
 * enrichment must never hold up a build.
 */
function requesterUsing(fetcher: typeof globalThis.fetch) {
  return createRequesterFn(
    async (_service, options) => options,
    async (endpoint, options) => {
      const { prefixUrl, searchParams, method, headers, body } = (options ?? {}) as RequestOptions & {
        prefixUrl?: string;
        body?: string | FormData;
      };
      const base = prefixUrl?.endsWith("/") ? prefixUrl : `${prefixUrl ?? ""}/`;
      const url = new URL(endpoint, base);
      if (searchParams) url.search = searchParams;
      const response = await fetcher(url, {
        method: method ?? "GET",
        ...(headers ? { headers } : {}),
        ...(body ? { body } : {}),
        redirect: "error",
        signal: AbortSignal.timeout(API_TIMEOUT_MS),
      });
      if (!response.ok) throw new Error(`GET ${url.pathname} answered HTTP ${response.status}`);
      return {
        body: (await response.json()) as Record<string, unknown>,
        headers: Object.fromEntries(response.headers.entries()),
        status: response.status,
      };
    },
  );
}

function apiFactsFrom(job: z.output<typeof JobSchema>, pipeline?: z.output<typeof PipelineSchema>): ApiFacts {
  return definedOnly({
    jobCreatedAt: job.created_at,
    jobStartedAt: job.started_at,
    pipelineCreatedAt: pipeline?.created_at ?? job.pipeline?.created_at ?? undefined,
    pipelineStartedAt: pipeline?.started_at,
    pipelineFinishedAt: pipeline?.finished_at,
    runnerType: job.runner?.runner_type ?? undefined,
    runnerShared: job.runner?.is_shared ?? undefined,
    triggeredBy: job.user?.username,
  });
}

/**
 * Optional enrichment from the instance's REST API: job and pipeline times,
 * the runner's kind, the triggering user. With an access token in
 * PROVENANT_GITLAB_API_TOKEN it reads the job and the pipeline; otherwise the
 * job token can read only its own job (`GET /job`). Any failure is a warning:
 * the provenance is complete without these fields.
 */
export async function enrichFromApi(
  facts: Pick<GitLabFacts, "serverUrl" | "projectId" | "projectPath" | "jobId" | "pipelineId">,
  context: Pick<CollectContext, "env" | "fetch" | "warn">,
): Promise<ApiFacts | undefined> {
  if (context.env[API_SWITCH_VARIABLE]?.trim().toLowerCase() === "false") return undefined;
  const accessToken = context.env[API_TOKEN_VARIABLE]?.trim();
  const jobToken = context.env.CI_JOB_TOKEN?.trim();
  if (!accessToken && !jobToken) return undefined;
  const requesterFn = requesterUsing(context.fetch);
  const host = facts.serverUrl;
  try {
    if (accessToken) {
      const project = facts.projectId ?? facts.projectPath;
      const options = { host, token: accessToken, requesterFn };
      const job = JobSchema.parse(await new Jobs(options).show(project, Number(facts.jobId)));
      const pipeline = PipelineSchema.parse(await new Pipelines(options).show(project, Number(facts.pipelineId)));
      return apiFactsFrom(job, pipeline);
    }
    const jobs = new Jobs({ host, jobToken: jobToken!, requesterFn });
    // gitbeaker 43 checks `headers["job-token"]` before GET /job while its
    // constructor files the job token under `authHeaders`; mirror it so the
    // check passes (the header is sent once, with the same value).
    (jobs as unknown as { headers: Record<string, string> }).headers["job-token"] = jobToken!;
    return apiFactsFrom(JobSchema.parse(await jobs.showConnectedJob()));
  } catch (error) {
    context.warn(`GitLab API enrichment skipped (${host}/api/v4: ${reasonOf(error)}); the provenance is complete without it`);
    return undefined;
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof z.ZodError) return "an unexpected response shape";
  // fetch says only "fetch failed"; the cause names the network error (ENOTFOUND, ECONNREFUSED, …).
  const cause = (error as Error).cause as { code?: string; message?: string } | undefined;
  const detail = cause?.code ?? cause?.message;
  return detail ? `${(error as Error).message}: ${detail}` : (error as Error).message;
}
