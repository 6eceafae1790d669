import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { CollectContext } from "@provenant/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adapter } from "./adapter.js";
import { enrichFromApi } from "./enrich.js";
import { GITLAB_COM_BRANCH } from "./fixtures.js";

// A GitLab REST API v4 stand-in on 127.0.0.1 (GitLab itself cannot run
// here). Bodies follow the documented examples: "Jobs API > Get job tokens
// job" / "Get a single job" and "Pipelines API > Get a single pipeline".
const JOB = {
  id: 5005,
  name: "build",
  stage: "build",
  status: "running",
  ref: "main",
  tag: false,
  created_at: "2025-03-05T10:01:58.120Z",
  started_at: "2025-03-05T10:02:11.034Z",
  finished_at: null,
  erased_at: null,
  duration: null,
  queued_duration: 12.9,
  user: { id: 9, name: "J. Doe", username: "jdoe", state: "active", web_url: "https://gitlab.com/jdoe" },
  commit: { id: GITLAB_COM_BRANCH.CI_COMMIT_SHA, short_id: "4e9b7dbc", title: "Add login" },
  pipeline: {
    id: 1001,
    project_id: 278964,
    ref: "main",
    sha: GITLAB_COM_BRANCH.CI_COMMIT_SHA,
    status: "running",
    source: "push",
    created_at: "2025-03-05T10:01:57.500Z",
    updated_at: "2025-03-05T10:02:11.100Z",
    web_url: "https://gitlab.com/acme/app/-/pipelines/1001",
  },
  runner: {
    id: 12270837,
    description: "3-blue.saas-linux-small-amd64.runners-manager.gitlab.com/default",
    active: true,
    paused: false,
    is_shared: true,
    runner_type: "instance_type",
    name: "gitlab-runner",
    online: true,
    status: "online",
  },
  tag_list: ["saas-linux-small-amd64"],
  web_url: "https://gitlab.com/acme/app/-/jobs/5005",
};
const PIPELINE = {
  id: 1001,
  iid: 312,
  project_id: 278964,
  status: "running",
  ref: "main",
  sha: GITLAB_COM_BRANCH.CI_COMMIT_SHA,
  tag: false,
  user: { id: 9, username: "jdoe" },
  created_at: "2025-03-05T10:01:57.500Z",
  updated_at: "2025-03-05T10:02:11.100Z",
  started_at: "2025-03-05T10:01:59.000Z",
  finished_at: null,
  duration: null,
  web_url: "https://gitlab.com/acme/app/-/pipelines/1001",
};

const JOB_TOKEN = "glcbt-64_job-token-for-tests";
const ACCESS_TOKEN = "glpat-access-token-for-tests";

let server: Server;
let serverUrl: string;
const seen: { path: string; jobToken?: string; privateToken?: string }[] = [];

function send(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    const jobToken = req.headers["job-token"] as string | undefined;
    const privateToken = req.headers["private-token"] as string | undefined;
    seen.push({ path, ...(jobToken ? { jobToken } : {}), ...(privateToken ? { privateToken } : {}) });
    if (path === "/api/v4/job" && jobToken === JOB_TOKEN) return send(res, 200, JOB);
    if (privateToken === ACCESS_TOKEN && path === "/api/v4/projects/278964/jobs/5005") return send(res, 200, JOB);
    if (privateToken === ACCESS_TOKEN && path === "/api/v4/projects/278964/pipelines/1001") return send(res, 200, PIPELINE);
    send(res, 401, { message: "401 Unauthorized" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const facts = () => ({ serverUrl, projectId: "278964", projectPath: "acme/app", jobId: "5005", pipelineId: "1001" });

function context(env: Record<string, string | undefined>) {
  const warnings: string[] = [];
  return { warnings, ctx: { env, fetch: globalThis.fetch, warn: (m: string) => warnings.push(m) } };
}

describe("enrichFromApi", () => {
  it("reads its own job with the job token", async () => {
    const { ctx, warnings } = context({ CI_JOB_TOKEN: JOB_TOKEN });
    expect(await enrichFromApi(facts(), ctx)).toEqual({
      jobCreatedAt: "2025-03-05T10:01:58.120Z",
      jobStartedAt: "2025-03-05T10:02:11.034Z",
      pipelineCreatedAt: "2025-03-05T10:01:57.500Z",
      runnerType: "instance_type",
      runnerShared: true,
      triggeredBy: "jdoe",
    });
    expect(warnings).toEqual([]);
  });

  it("reads the job and the pipeline with an access token", async () => {
    const { ctx } = context({ CI_JOB_TOKEN: JOB_TOKEN, PROVENANT_GITLAB_API_TOKEN: ACCESS_TOKEN });
    expect(await enrichFromApi(facts(), ctx)).toMatchObject({
      pipelineStartedAt: "2025-03-05T10:01:59.000Z",
      runnerType: "instance_type",
    });
  });

  it("warns and goes on when the API refuses the token", async () => {
    const { ctx, warnings } = context({ CI_JOB_TOKEN: "revoked" });
    expect(await enrichFromApi(facts(), ctx)).toBeUndefined();
    expect(warnings.join()).toMatch(/enrichment skipped.*401/);
    expect(warnings.join()).not.toContain("revoked");
  });

  it("warns and goes on when the instance is unreachable", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const { ctx, warnings } = context({ CI_JOB_TOKEN: JOB_TOKEN });
    expect(await enrichFromApi({ ...facts(), serverUrl: `http://127.0.0.1:${port}` }, ctx)).toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/ECONNREFUSED/);
  });

  it("makes no request when switched off", async () => {
    const before = seen.length;
    const { ctx } = context({ CI_JOB_TOKEN: JOB_TOKEN, PROVENANT_GITLAB_API: "false" });
    expect(await enrichFromApi(facts(), ctx)).toBeUndefined();
    expect(seen.length).toBe(before);
  });
});

describe("GitLab adapter with enrichment", () => {
  it("adds the runner kind and pipeline times to the provenance", async () => {
    const env = { ...GITLAB_COM_BRANCH, CI_SERVER_URL: serverUrl, CI_JOB_TOKEN: JOB_TOKEN, PROVENANT_GITLAB_API_TOKEN: ACCESS_TOKEN };
    const ctx: CollectContext = {
      env,
      cwd: process.cwd(),
      fetch: globalThis.fetch,
      warn: () => {},
      now: () => new Date(),
      options: {},
    };
    const provenance = await adapter.collect(ctx);
    expect(provenance.buildDefinition.internalParameters?.runner).toMatchObject({ type: "instance_type", shared: true });
    expect(provenance.buildDefinition.internalParameters?.pipeline).toMatchObject({
      createdAt: "2025-03-05T10:01:57.500Z",
      startedAt: "2025-03-05T10:01:59.000Z",
    });
    const text = JSON.stringify(provenance);
    expect(text).not.toContain(JOB_TOKEN);
    expect(text).not.toContain(ACCESS_TOKEN);
  });
});
