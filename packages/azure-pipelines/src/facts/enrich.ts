import * as azdev from "azure-devops-node-api";
import { BuildReason } from "azure-devops-node-api/interfaces/BuildInterfaces.js";
import { z } from "zod";
import { AgentQueueSchema } from "./run-pools.js";

/** What the Build REST API adds to the predefined variables. */
export interface BuildApiFacts {
  requestedFor?: string;
  reason?: string;
  queueTime?: Date;
  startTime?: Date;
  finishTime?: Date;
  templateParameters?: Record<string, string>;
  definitionRevision?: number;
  yamlPath?: string;
  hosted?: boolean;
  jobName?: string;
  agentName?: string;
}

export interface BuildApiRequest {
  collectionUri: string;
  project: string;
  buildId: number;
  definitionId?: number;
  jobId?: string;
  accessToken: string;
}

// The subset of Build, BuildDefinition and Timeline (Build REST API 7.1) the
// adapter records, as azure-devops-node-api returns them: dates already
// parsed, enums as numbers.
const BuildSchema = z.looseObject({
  reason: z.number().nullish(),
  queueTime: z.date().nullish(),
  startTime: z.date().nullish(),
  finishTime: z.date().nullish(),
  requestedFor: z.looseObject({ uniqueName: z.string().nullish(), displayName: z.string().nullish() }).nullish(),
  templateParameters: z.record(z.string(), z.unknown()).nullish(),
  definition: z.looseObject({ revision: z.number().nullish() }).nullish(),
  queue: z.looseObject({ id: z.number().nullish(), pool: z.looseObject({ isHosted: z.boolean().nullish() }).nullish() }).nullish(),
});
type BuildQueue = z.infer<typeof BuildSchema>["queue"];
const DefinitionSchema = z.looseObject({
  process: z.looseObject({ yamlFilename: z.string().nullish() }).nullish(),
});
const TimelineSchema = z.looseObject({
  records: z
    .array(
      z.looseObject({
        id: z.string().nullish(),
        type: z.string().nullish(),
        name: z.string().nullish(),
        workerName: z.string().nullish(),
        queueId: z.number().nullish(),
      }),
    )
    .nullish(),
});

function parsed<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(`the ${what} response has an unexpected ${issue?.path.join(".") || "body"} (${issue?.message ?? "invalid"})`);
  }
  return result.data;
}

function reasonName(reason: number | null | undefined): string | undefined {
  if (reason === undefined || reason === null) return undefined;
  const name = BuildReason[reason];
  return name && name !== "None" ? name : undefined;
}

function stringValues(parameters: Record<string, unknown> | null | undefined): Record<string, string> | undefined {
  if (!parameters) return undefined;
  return Object.fromEntries(
    Object.entries(parameters).map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)]),
  );
}

/**
 * Reads the running build, its definition and its timeline through the Build
 * REST API, and, when the job ran on another queue than the run's, that agent
 * queue through the Distributed Task API, with the job access token. Throws when the Build API cannot be read; the caller
 * turns that into a warning.
 */
export async function readBuildApi(
  request: BuildApiRequest,
  { deadlineMs = 30_000, warn = () => {} }: { deadlineMs?: number; warn?: (message: string) => void } = {},
): Promise<BuildApiFacts> {
  // The client retries location lookups on its own; enrichment is optional,
  // so it gets one overall deadline rather than holding up the build.
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${deadlineMs / 1000} s`)), deadlineMs);
    timer.unref();
  });
  try {
    return await Promise.race([readBuildApiOnce(request, warn), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Whether the pool of the queue this job ran on is Microsoft-hosted. Builds -
 * Get's `queue` is the run's default queue, and a job's own `pool:` can send
 * it to another; the job's Timeline record names the queue it ran on. When
 * that is the run's queue, Builds - Get already says what its pool is, and
 * Queues - Get (which the build identity may not be allowed to read) is not
 * asked. Unknown (no record, no queue, no answer) stays unknown, which
 * `builder.id` records as self-hosted.
 */
async function jobPoolHosted(
  connection: azdev.WebApi,
  project: string,
  queueId: number | null | undefined,
  buildQueue: BuildQueue,
  warn: (message: string) => void,
): Promise<boolean | undefined> {
  const unknown = "the builder id says self-hosted";
  if (typeof queueId !== "number") {
    warn(`the Build API's timeline names no queue for this job (SYSTEM_JOBID), so whether its pool is Microsoft-hosted is unknown; ${unknown}`);
    return undefined;
  }
  if (buildQueue?.id === queueId && typeof buildQueue.pool?.isHosted === "boolean") return buildQueue.pool.isHosted;
  // Azure DevOps answers 404 for a queue the caller may not see, as well as for one that does not exist.
  const permission =
    `the build identity (the "<project> Build Service" or "Project Collection Build Service" account) needs the Reader role ` +
    `on agent queue ${queueId} (Project settings > Agent pools > the queue > Security)`;
  try {
    const agents = await connection.getTaskAgentApi();
    const answer = await agents.getAgentQueue(queueId, project);
    if (answer === null || answer === undefined) {
      warn(`Queues - Get found no agent queue ${queueId} this job may read; ${permission}; ${unknown}`);
      return undefined;
    }
    const queue = parsed(AgentQueueSchema, answer, "Queues - Get");
    if (typeof queue.pool?.isHosted === "boolean") return queue.pool.isHosted;
    warn(`agent queue ${queueId} did not say whether its pool is Microsoft-hosted; ${unknown}`);
  } catch (cause) {
    const status = (cause as { statusCode?: unknown }).statusCode;
    if (status === 401 || status === 403) warn(`Queues - Get refused agent queue ${queueId} (HTTP ${status}); ${permission}; ${unknown}`);
    else warn(`cannot read agent queue ${queueId}: ${(cause as Error).message}; ${unknown}`);
  }
  return undefined;
}

async function readBuildApiOnce(request: BuildApiRequest, warn: (message: string) => void): Promise<BuildApiFacts> {
  const connection = new azdev.WebApi(request.collectionUri, azdev.getBearerHandler(request.accessToken), {
    socketTimeout: 15_000,
    allowRetries: false,
  });
  const builds = await connection.getBuildApi();
  const build = parsed(BuildSchema, await builds.getBuild(request.project, request.buildId), "Builds - Get");
  const definition =
    request.definitionId === undefined
      ? undefined
      : parsed(DefinitionSchema, await builds.getDefinition(request.project, request.definitionId, build.definition?.revision ?? undefined), "Definitions - Get");
  const timeline = parsed(TimelineSchema, (await builds.getBuildTimeline(request.project, request.buildId)) ?? {}, "Timeline - Get");
  const job = timeline.records?.find((record) => record.type === "Job" && record.id?.toLowerCase() === request.jobId?.toLowerCase());
  const hosted = await jobPoolHosted(connection, request.project, job?.queueId, build.queue, warn);
  const requestedFor = build.requestedFor?.uniqueName ?? build.requestedFor?.displayName;
  return {
    ...(requestedFor ? { requestedFor } : {}),
    ...(reasonName(build.reason) ? { reason: reasonName(build.reason) } : {}),
    ...(build.queueTime ? { queueTime: build.queueTime } : {}),
    ...(build.startTime ? { startTime: build.startTime } : {}),
    ...(build.finishTime ? { finishTime: build.finishTime } : {}),
    ...(build.templateParameters ? { templateParameters: stringValues(build.templateParameters) } : {}),
    ...(typeof build.definition?.revision === "number" ? { definitionRevision: build.definition.revision } : {}),
    ...(definition?.process?.yamlFilename ? { yamlPath: definition.process.yamlFilename } : {}),
    ...(hosted !== undefined ? { hosted } : {}),
    ...(job?.name ? { jobName: job.name } : {}),
    ...(job?.workerName ? { agentName: job.workerName } : {}),
  };
}
