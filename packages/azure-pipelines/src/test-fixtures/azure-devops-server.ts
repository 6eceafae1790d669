import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local stand-in for the Azure DevOps REST API (Services, api-version 7.1)
 * serving one organization `acme`. Azure DevOps cannot run here, so every body
 * follows the documented response shapes (learn.microsoft.com/rest/api/azure/devops:
 * Location "Resource Areas - List", Build "Builds - Get", "Definitions - Get",
 * "Timeline - Get", Distributed Task "Queues - Get"; OPTIONS on `_apis/<area>` answers ApiResourceLocation
 * entries, which azure-devops-node-api reads to build each request URL).
 */
export interface FakeAzureDevOps {
  /** The collection URI its answers name: `options.publicCollectionUri`, else `http://127.0.0.1:<port>/acme/`. */
  collectionUri: string;
  /** `http://127.0.0.1:<port>`, where it listens. */
  origin: string;
  requests: { method: string; path: string; authorization?: string }[];
  close(): Promise<void>;
}

const BUILD_AREA_ID = "965220d5-5bb9-42cf-8d67-9b146df2a5a4";
const DISTRIBUTED_TASK_AREA_ID = "a85b8835-c1a1-4aac-ae97-1c3d0ba72dbd";

function location(id: string, area: string, resourceName: string, routeTemplate: string, maxVersion: string, resourceVersion: number) {
  return { id, area, resourceName, routeTemplate, resourceVersion, minVersion: "2.0", maxVersion, releasedVersion: "7.1" };
}

const LOCATION_AREA = [location("e81700f7-3be2-46de-8624-2eb35882fcaa", "Location", "ResourceAreas", "_apis/{resource}/{areaId}", "7.2", 1)];
const BUILD_AREA = [
  location("0cd358e1-9217-4d94-8269-1c1ee6f93dcf", "build", "builds", "{project}/_apis/build/{resource}/{buildId}", "7.2", 7),
  location("dbeaf647-6167-421a-bda9-c9327b25e2e6", "build", "definitions", "{project}/_apis/build/{resource}/{definitionId}", "7.2", 7),
  location("8baac422-4c6e-4de5-8532-db96d92acffa", "build", "Timeline", "{project}/_apis/build/builds/{buildId}/{resource}/{timelineId}", "7.2", 3),
];
const DISTRIBUTED_TASK_AREA = [
  location("900fa995-c559-4923-aae7-f8424fe4fbea", "distributedtask", "queues", "{project}/_apis/{area}/{resource}/{queueId}", "7.2", 1),
];

/** An agent queue of the project and the pool behind it. */
export interface FakeQueue {
  id: number;
  name: string;
  pool: { id: number; name: string; isHosted: boolean };
}

/** The queue every project gets for the Microsoft-hosted "Azure Pipelines" pool. */
export const HOSTED_QUEUE: FakeQueue = { id: 12, name: "Azure Pipelines", pool: { id: 9, name: "Azure Pipelines", isHosted: true } };
/** A queue for the organization's own agents (`pool: name: SelfHosted`). */
export const SELF_HOSTED_QUEUE: FakeQueue = { id: 31, name: "SelfHosted", pool: { id: 14, name: "SelfHosted", isHosted: false } };

export interface FakeBuild {
  project: { id: string; name: string };
  buildId: number;
  definitionId: number;
  revision: number;
  yamlFilename: string;
  reason: string;
  /** The run's default queue: Builds - Get and Definitions - Get name it. */
  queue: FakeQueue;
  /** The queue this job ran on (its Timeline record's queueId): a job's own `pool:` can differ from the run's. */
  jobQueue: FakeQueue;
  templateParameters: Record<string, string>;
  jobId: string;
  requestedFor: string;
}

function buildBody(base: string, b: FakeBuild) {
  const projectUrl = `${base}_apis/projects/${b.project.id}`;
  const identity = {
    displayName: "Dev One",
    url: `${base}_apis/Identities/5c1b3b0a-9b8e-4b6f-a2e1-0f3c9d8e7a61`,
    id: "5c1b3b0a-9b8e-4b6f-a2e1-0f3c9d8e7a61",
    uniqueName: b.requestedFor,
    descriptor: "aad.NWMxYjNiMGEtOWI4ZS00YjZmLWEyZTEtMGYzYzlkOGU3YTYx",
  };
  return {
    _links: { self: { href: `${base}${b.project.id}/_apis/build/Builds/${b.buildId}` } },
    properties: {},
    tags: [],
    validationResults: [],
    plans: [{ planId: "a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d" }],
    templateParameters: b.templateParameters,
    triggerInfo: {},
    id: b.buildId,
    buildNumber: "20261122.3",
    status: "inProgress",
    queueTime: "2026-11-22T10:00:00.1234567Z",
    startTime: "2026-11-22T10:00:05.7654321Z",
    url: `${base}${b.project.id}/_apis/build/Builds/${b.buildId}`,
    definition: {
      drafts: [],
      id: b.definitionId,
      name: "payments-api-ci",
      url: `${base}${b.project.id}/_apis/build/Definitions/${b.definitionId}?revision=${b.revision}`,
      uri: `vstfs:///Build/Definition/${b.definitionId}`,
      path: "\\",
      type: "build",
      queueStatus: "enabled",
      revision: b.revision,
      project: { id: b.project.id, name: b.project.name, url: projectUrl, state: "wellFormed", revision: 11, visibility: "private" },
    },
    buildNumberRevision: 3,
    project: { id: b.project.id, name: b.project.name, url: projectUrl, state: "wellFormed", revision: 11, visibility: "private" },
    uri: `vstfs:///Build/Build/${b.buildId}`,
    sourceBranch: "refs/heads/main",
    sourceVersion: "3f786850e387550fdab836ed7e6dc881de23001b",
    queue: queueReference(b.queue),
    priority: "normal",
    reason: b.reason,
    requestedFor: identity,
    requestedBy: identity,
    lastChangedDate: "2026-11-22T10:00:06.01Z",
    lastChangedBy: identity,
    orchestrationPlan: { planId: "a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d" },
    logs: { id: 0, type: "Container", url: `${base}${b.project.id}/_apis/build/builds/${b.buildId}/logs` },
    repository: { id: "c0ffee00-1111-4222-8333-944445555666", type: "TfsGit", name: "payments-api", clean: null, checkoutSubmodules: false },
    retainedByRelease: false,
    triggeredByBuild: null,
    appendCommitMessageToRunName: true,
  };
}

function definitionBody(base: string, b: FakeBuild) {
  return {
    options: [],
    triggers: [{ branchFilters: [], pathFilters: [], settingsSourceType: 2, batchChanges: false, maxConcurrentBuildsPerBranch: 1, triggerType: "continuousIntegration" }],
    properties: {},
    tags: [],
    _links: {},
    jobAuthorizationScope: "projectCollection",
    jobTimeoutInMinutes: 60,
    jobCancelTimeoutInMinutes: 5,
    process: { yamlFilename: b.yamlFilename, type: 2 },
    repository: { properties: {}, id: "c0ffee00-1111-4222-8333-944445555666", type: "TfsGit", name: "payments-api", defaultBranch: "refs/heads/main", clean: null, checkoutSubmodules: false },
    quality: "definition",
    queue: queueReference(b.queue),
    id: b.definitionId,
    name: "payments-api-ci",
    url: `${base}${b.project.id}/_apis/build/Definitions/${b.definitionId}?revision=${b.revision}`,
    uri: `vstfs:///Build/Definition/${b.definitionId}`,
    path: "\\",
    type: "build",
    queueStatus: "enabled",
    revision: b.revision,
    createdDate: "2026-01-10T09:00:00Z",
    project: { id: b.project.id, name: b.project.name, state: "wellFormed", revision: 11, visibility: "private" },
  };
}

function queueReference(queue: FakeQueue) {
  return { id: queue.id, name: queue.name, pool: { id: queue.pool.id, name: queue.pool.name, isHosted: queue.pool.isHosted } };
}

/** Queues - Get: a TaskAgentQueue, its pool a TaskAgentPoolReference (enums as their names). */
function queueBody(b: FakeBuild, queue: FakeQueue) {
  return {
    id: queue.id,
    projectId: b.project.id,
    name: queue.name,
    pool: {
      id: queue.pool.id,
      scope: "0d5b2c1e-7f3a-4e6b-9c8d-1a2b3c4d5e6f",
      name: queue.pool.name,
      isHosted: queue.pool.isHosted,
      poolType: "automation",
      size: queue.pool.isHosted ? 1 : 3,
      isLegacy: false,
      options: "none",
    },
  };
}

function timelineBody(base: string, b: FakeBuild) {
  const record = (id: string, type: string, name: string, parentId: string | null, workerName: string | null, queueId: number | null = null) => ({
    previousAttempts: [],
    id,
    parentId,
    type,
    name,
    startTime: "2026-11-22T10:00:06Z",
    finishTime: null,
    currentOperation: null,
    percentComplete: null,
    state: "inProgress",
    result: null,
    resultCode: null,
    changeId: 4,
    lastModified: "0001-01-01T00:00:00",
    workerName,
    queueId,
    order: 1,
    details: null,
    errorCount: 0,
    warningCount: 0,
    url: null,
    log: null,
    task: null,
    attempt: 1,
    identifier: null,
  });
  return {
    records: [
      record("96ac2280-8cb4-5df5-99de-dd2da759617d", "Stage", "__default", null, null),
      record("3dc8fd7e-4368-5a92-293e-d53cefc8c4b3", "Phase", "Build", "96ac2280-8cb4-5df5-99de-dd2da759617d", null),
      record(b.jobId, "Job", "Build", "3dc8fd7e-4368-5a92-293e-d53cefc8c4b3", b.jobQueue.pool.isHosted ? "Azure Pipelines 3" : "build-rack-07", b.jobQueue.id),
    ],
    lastChangedBy: "00000002-0000-8888-8000-000000000000",
    lastChangedOn: "2026-11-22T10:00:07.1Z",
    id: "a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d",
    changeId: 4,
    url: `${base}${b.project.id}/_apis/build/builds/${b.buildId}/Timeline/a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d`,
  };
}

/** The VSS service error body Azure DevOps sends with a refusal. */
function refusal(status: 403 | 404, queue: FakeQueue) {
  const [typeKey, message] =
    status === 403
      ? ["AccessDeniedException", `Access denied. Project Collection Build Service (acme) does not have permission to view agent queue ${queue.id}.`]
      : ["TaskAgentQueueNotFoundException", `Agent queue ${queue.id} could not be found.`];
  return { $id: "1", innerException: null, message, typeName: `Microsoft.TeamFoundation.DistributedTask.WebApi.${typeKey}, Microsoft.TeamFoundation.DistributedTask.WebApi`, typeKey, errorCode: 0, eventId: 3000 };
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8; api-version=7.1" });
  res.end(JSON.stringify(body));
}

/**
 * `publicCollectionUri` (e.g. `https://dev.azure.com/acme/`) is the URI the
 * answers name, as Azure DevOps names itself in ResourceAreas and links; the
 * test then routes that host to this server (services-route.cjs).
 * `refuseQueues` answers every Queues - Get as Azure DevOps does when the
 * build identity lacks a role on the queue: 403, or 404 for a queue it may not see.
 */
export async function startFakeAzureDevOps(
  build: FakeBuild,
  options: { accessToken: string; publicCollectionUri?: string; refuseQueues?: 403 | 404 },
): Promise<FakeAzureDevOps> {
  const requests: FakeAzureDevOps["requests"] = [];
  let base = "";
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const method = req.method ?? "GET";
    requests.push({ method, path: url.pathname + url.search, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
    if (req.headers.authorization !== `Bearer ${options.accessToken}`) {
      // Azure DevOps answers an anonymous or bad token with 203 + a sign-in page; 401 is what a
      // rejected bearer gets with X-TFS-FedAuthRedirect: Suppress, which the client sends.
      sendJson(res, 401, { message: "TF400813: The user is not authorized to access this resource." });
      return;
    }
    const path = decodeURIComponent(url.pathname);
    const project = `/acme/${build.project.name}/_apis/build`;
    const projectById = `/acme/${build.project.id}/_apis/build`;
    const inProject = (suffix: string) => path === `${project}${suffix}` || path === `${projectById}${suffix}`;
    if (method === "OPTIONS" && path === "/acme/_apis/Location") return sendJson(res, 200, { count: LOCATION_AREA.length, value: LOCATION_AREA });
    if (method === "OPTIONS" && path === "/acme/_apis/build") return sendJson(res, 200, { count: BUILD_AREA.length, value: BUILD_AREA });
    if (method === "OPTIONS" && path === "/acme/_apis/distributedtask") {
      return sendJson(res, 200, { count: DISTRIBUTED_TASK_AREA.length, value: DISTRIBUTED_TASK_AREA });
    }
    if (method === "GET" && path === "/acme/_apis/ResourceAreas") {
      const areas = [
        { id: BUILD_AREA_ID, name: "build", locationUrl: base },
        { id: DISTRIBUTED_TASK_AREA_ID, name: "distributedtask", locationUrl: base },
      ];
      return sendJson(res, 200, { count: areas.length, value: areas });
    }
    const queue = [build.queue, build.jobQueue].find((q) => path === `/acme/${build.project.name}/_apis/distributedtask/queues/${q.id}` || path === `/acme/${build.project.id}/_apis/distributedtask/queues/${q.id}`);
    if (method === "GET" && queue && options.refuseQueues) return sendJson(res, options.refuseQueues, refusal(options.refuseQueues, queue));
    if (method === "GET" && queue) return sendJson(res, 200, queueBody(build, queue));
    if (method === "GET" && inProject(`/builds/${build.buildId}`)) return sendJson(res, 200, buildBody(base, build));
    if (method === "GET" && inProject(`/definitions/${build.definitionId}`)) return sendJson(res, 200, definitionBody(base, build));
    if (method === "GET" && (inProject(`/builds/${build.buildId}/Timeline`) || inProject(`/builds/${build.buildId}/Timeline/`))) {
      return sendJson(res, 200, timelineBody(base, build));
    }
    sendJson(res, 404, { message: `no route for ${method} ${path}` });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  base = options.publicCollectionUri ?? `${origin}/acme/`;
  return {
    collectionUri: base,
    origin,
    requests,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
