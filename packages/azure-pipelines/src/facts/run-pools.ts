import { z } from "zod";

/**
 * Whether every job of an Azure Pipelines run that has started ran on a
 * Microsoft-hosted agent pool, read by the signing service through the Azure
 * DevOps REST API with its own credential (never the caller's): Timeline -
 * Get (Build 7.1) for the run's job records and the agent queue each ran on,
 * then Queues - Get (Distributed Task 7.1) for each queue's pool and its
 * `isHosted`. Over plain `fetch`, so the service entry carries no SDK.
 *
 * The pipeline's ID token names the run, not the job, so the answer is about
 * the whole run: hosted only when every job that has started (in progress or
 * completed) ran on a hosted pool. Jobs still pending cannot have touched
 * what the running job attests. Anything not known (no queue on a job, a
 * refused or malformed answer, a timeout) is not hosted, with the reason.
 */
export interface RunPoolsRequest {
  /** `https://dev.azure.com/<org>/`: the organization the service's credential belongs to. */
  organizationUrl: string;
  project: string;
  buildId: string;
  /** The `Authorization` header value (`Basic …` for a PAT, `Bearer …` for an Entra token). */
  authorization: string;
  fetch?: typeof globalThis.fetch;
  /** Per request; default 10 s. */
  timeoutMs?: number;
  /** Per answer; default 4 MiB. */
  maxBytes?: number;
}

/** `hosted: undefined`: not learned (the reason says why); `false`: a started job ran on a self-hosted pool. */
export type RunPools = { hosted: true; jobs: number } | { hosted: false | undefined; reason: string };

// Timeline - Get as the REST API answers it (JSON; states as strings, where
// azure-devops-node-api, which enrich.ts uses, turns them into enum numbers).
const TimelineSchema = z.looseObject({
  records: z
    .array(
      z.looseObject({
        type: z.string().nullish(),
        name: z.string().nullish(),
        state: z.string().nullish(),
        queueId: z.number().nullish(),
      }),
    )
    .nullish(),
});
/** Queues - Get (Distributed Task REST API 7.1): a project's agent queue and the pool behind it; the same from the SDK. */
export const AgentQueueSchema = z.looseObject({
  pool: z.looseObject({ isHosted: z.boolean().nullish(), name: z.string().nullish() }).nullish(),
});

class Unknown extends Error {}

async function getJson(request: RunPoolsRequest, path: string, what: string): Promise<unknown> {
  const url = `${request.organizationUrl.replace(/\/?$/, "/")}${path}`;
  let response: Response;
  try {
    response = await (request.fetch ?? globalThis.fetch)(url, {
      headers: { accept: "application/json", authorization: request.authorization },
      // A redirect could carry the credential elsewhere (or to a sign-in page): not followed.
      redirect: "manual",
      signal: AbortSignal.timeout(request.timeoutMs ?? 10_000),
    });
  } catch (cause) {
    throw new Unknown(`${what} could not be read (${(cause as Error).message})`);
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new Unknown(`${what} answered HTTP ${response.status}${response.status === 401 || response.status === 403 ? " (the service's credential may not read it)" : ""}`);
  }
  const max = request.maxBytes ?? 4 * 1024 * 1024;
  const declared = Number(response.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > max) {
    await response.body?.cancel();
    throw new Unknown(`${what} answered more than ${max} bytes`);
  }
  const text = await response.text();
  if (text.length > max) throw new Unknown(`${what} answered more than ${max} bytes`);
  try {
    return JSON.parse(text);
  } catch {
    throw new Unknown(`${what} did not answer JSON`);
  }
}

export async function runPoolsHosted(request: RunPoolsRequest): Promise<RunPools> {
  if (!/^\d+$/.test(request.buildId)) return { hosted: undefined, reason: `run id ${request.buildId.slice(0, 40)} is not a number` };
  const project = encodeURIComponent(request.project);
  try {
    const timeline = TimelineSchema.safeParse(await getJson(request, `${project}/_apis/build/builds/${request.buildId}/timeline?api-version=7.1`, "Timeline - Get"));
    if (!timeline.success) throw new Unknown("Timeline - Get answered an unexpected shape");
    const started = (timeline.data.records ?? []).filter((r) => r.type === "Job" && (r.state === "inProgress" || r.state === "completed"));
    if (started.length === 0) throw new Unknown("the run's timeline lists no started job");
    const queues = new Set<number>();
    for (const job of started) {
      if (typeof job.queueId !== "number") throw new Unknown(`job ${JSON.stringify((job.name ?? "").slice(0, 80))} names no agent queue`);
      queues.add(job.queueId);
    }
    for (const queueId of queues) {
      const queue = AgentQueueSchema.safeParse(await getJson(request, `${project}/_apis/distributedtask/queues/${queueId}?api-version=7.1`, `Queues - Get ${queueId}`));
      if (!queue.success || typeof queue.data.pool?.isHosted !== "boolean") throw new Unknown(`agent queue ${queueId} does not say whether its pool is Microsoft-hosted`);
      if (!queue.data.pool.isHosted) {
        return { hosted: false, reason: `a job of the run ran on agent queue ${queueId}, whose pool ${JSON.stringify((queue.data.pool.name ?? "").slice(0, 80))} is self-hosted` };
      }
    }
    return { hosted: true, jobs: started.length };
  } catch (error) {
    if (error instanceof Unknown) return { hosted: undefined, reason: `whether the run's agent pools are Microsoft-hosted is not known: ${error.message}` };
    throw error;
  }
}
