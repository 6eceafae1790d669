import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type CollectContext, isProvenantError } from "@provenant/core";
import { startTestIssuer, type TestIssuer } from "@provenant/oidc/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adapter } from "../adapter.js";
import { type FakeAzureDevOps, type FakeBuild, HOSTED_QUEUE, SELF_HOSTED_QUEUE, startFakeAzureDevOps } from "../test-fixtures/azure-devops-server.js";
import { AZURE_REPOS_CI_ENV, GITHUB_PR_ENV, pipelineClaims } from "../test-fixtures/variables.js";
import { collectAzurePipelinesFacts } from "./collect.js";
import { readBuildApi } from "./enrich.js";
import { routeServices } from "../test-fixtures/services-route.cjs";
import { vstokenDiscovery } from "../test-fixtures/vstoken.js";
import { AZURE_TOKEN_AUDIENCE, azureTokenIssuer } from "./token.js";

/** The issuer Azure DevOps names for the fixture organization: the only one the adapter accepts. */
const VSTOKEN_ISSUER = azureTokenIssuer(AZURE_REPOS_CI_ENV.SYSTEM_COLLECTIONID);

const FAKE_BUILD: FakeBuild = {
  project: { id: AZURE_REPOS_CI_ENV.SYSTEM_TEAMPROJECTID, name: AZURE_REPOS_CI_ENV.SYSTEM_TEAMPROJECT },
  buildId: 1234,
  definitionId: 42,
  revision: 7,
  yamlFilename: "/pipelines/ci.yml",
  reason: "individualCI",
  queue: HOSTED_QUEUE,
  jobQueue: HOSTED_QUEUE,
  templateParameters: { environment: "staging" },
  jobId: AZURE_REPOS_CI_ENV.SYSTEM_JOBID,
  requestedFor: "dev@acme.example",
};

function contextFor(env: Record<string, string | undefined>, options: Record<string, string | undefined> = {}) {
  const warnings: string[] = [];
  const context: CollectContext = {
    env,
    cwd: process.cwd(),
    fetch: vstokenDiscovery(VSTOKEN_ISSUER, issuer.jwksUri, route.fetch),
    warn: (message) => warnings.push(message),
    now: () => new Date(),
    options,
  };
  return { context, warnings };
}

let issuer: TestIssuer;
let azure: FakeAzureDevOps;
let route: ReturnType<typeof routeServices>;

beforeAll(async () => {
  issuer = await startTestIssuer({ defaultAudience: AZURE_TOKEN_AUDIENCE });
  issuer.setTokenEndpointClaims(pipelineClaims(AZURE_REPOS_CI_ENV));
  azure = await startFakeAzureDevOps(FAKE_BUILD, { accessToken: issuer.requestToken, publicCollectionUri: AZURE_REPOS_CI_ENV.SYSTEM_COLLECTIONURI });
  // dev.azure.com stays the host the adapter addresses; below it, the local servers answer.
  route = routeServices({ tokenUrl: issuer.tokenUrl, apiOrigin: azure.origin });
});
afterAll(async () => {
  route.restore();
  await issuer.close();
  await azure.close();
});

/** A job of https://dev.azure.com/acme/, whose OIDC endpoint and Build API the local stand-ins answer. */
function jobEnv(overrides: Record<string, string | undefined> = {}) {
  return {
    ...AZURE_REPOS_CI_ENV,
    SYSTEM_ACCESSTOKEN: issuer.requestToken,
    ...overrides,
  };
}

/** Runs `body` with dev.azure.com answered by a fake serving `build` instead of the shared one. */
async function withAzure(
  build: FakeBuild,
  options: { refuseQueues?: 403 | 404 },
  body: (server: FakeAzureDevOps) => Promise<void>,
): Promise<void> {
  const server = await startFakeAzureDevOps(build, { accessToken: issuer.requestToken, publicCollectionUri: AZURE_REPOS_CI_ENV.SYSTEM_COLLECTIONURI, ...options });
  const local = routeServices({ tokenUrl: issuer.tokenUrl, apiOrigin: server.origin });
  try {
    await body(server);
  } finally {
    local.restore();
    await server.close();
  }
}

/** Requests that carried the job access token, for asserting it went nowhere. */
function authorized(requests: { authorization?: string }[]) {
  return requests.filter((r) => r.authorization !== undefined);
}

describe("collectAzurePipelinesFacts", () => {
  it("records environment facts and says why when SYSTEM_ACCESSTOKEN is not mapped", async () => {
    const { context, warnings } = contextFor({ ...GITHUB_PR_ENV });
    const facts = await collectAzurePipelinesFacts(context);
    expect(facts).toMatchObject({
      factsSource: "environment",
      collectionUri: "https://dev.azure.com/acme/",
      organization: "acme",
      repository: { url: "https://github.com/acme/payments-api", provider: "GitHub" },
      ref: "refs/pull/17/merge",
      commit: "9fceb02d0ae598e95dc970b74767f19372d61af8",
      build: { id: "1234", reason: "PullRequest" },
      agent: { name: "build-rack-07", id: "31", os: "Linux" },
    });
    expect(facts.agent.hosted).toBeUndefined();
    expect(warnings.join("\n")).toMatch(/SYSTEM_ACCESSTOKEN is not mapped.*SLSA Build L1/);
  });

  it("strips the user name Azure Repos puts in Build.Repository.Uri", async () => {
    const { context } = contextFor({ ...AZURE_REPOS_CI_ENV, SYSTEM_OIDCREQUESTURI: undefined });
    const facts = await collectAzurePipelinesFacts(context);
    expect(facts.repository.url).toBe("https://dev.azure.com/acme/Payments%20Platform/_git/payments-api");
  });

  it("requests and verifies the pipeline token, lets its claims win and enriches from the Build API", async () => {
    // A step rewrote the commit variable: the token's rpo_ver must be recorded instead.
    const { context, warnings } = contextFor(jobEnv({ BUILD_SOURCEVERSION: "0000000000000000000000000000000000000000" }));
    const facts = await collectAzurePipelinesFacts(context);
    expect(facts.factsSource).toBe("oidc-token");
    expect(facts.tokenIssuer).toBe(VSTOKEN_ISSUER);
    expect(facts.commit).toBe(AZURE_REPOS_CI_ENV.BUILD_SOURCEVERSION);
    expect(warnings).toContain(
      `BUILD_SOURCEVERSION is 0000000000000000000000000000000000000000 but the verified OIDC token says ${AZURE_REPOS_CI_ENV.BUILD_SOURCEVERSION}; recording the token's value`,
    );
    expect(facts).toMatchObject({
      organizationId: AZURE_REPOS_CI_ENV.SYSTEM_COLLECTIONID,
      definition: { id: "42", revision: 7, yamlPath: "/pipelines/ci.yml" },
      build: {
        reason: "IndividualCI",
        requestedFor: "dev@acme.example",
        templateParameters: { environment: "staging" },
      },
      agent: { hosted: true },
      job: { name: "Build" },
    });
    expect(facts.build.startTime?.toISOString()).toBe("2026-11-22T10:00:05.765Z");
    const tokenRequest = issuer.requests.find((r) => r.method === "POST");
    expect(tokenRequest).toMatchObject({ path: "/token?api-version=7.1-preview.1", authorization: `Bearer ${issuer.requestToken}` });
    // azure-devops-node-api first reads the resource locations, then the three build resources;
    // the job ran on the run's own queue, whose pool Builds - Get names, so no Queues - Get.
    expect(azure.requests.map((r) => `${r.method} ${r.path.replace(/\?.*/, "")}`)).toEqual([
      "OPTIONS /acme/_apis/Location",
      "GET /acme/_apis/ResourceAreas",
      "OPTIONS /acme/_apis/build",
      "GET /acme/Payments%20Platform/_apis/build/builds/1234",
      "GET /acme/Payments%20Platform/_apis/build/definitions/42",
      "GET /acme/Payments%20Platform/_apis/build/builds/1234/Timeline",
    ]);
  });

  it("builds a Microsoft-hosted builder id and L2-grade metadata through the adapter", async () => {
    const { context } = contextFor(jobEnv());
    const fields = await adapter.collect(context);
    expect(fields.runDetails.builder.id).toBe("https://dev.azure.com/acme/_agents/microsoft-hosted");
    expect(fields.runDetails.metadata).toMatchObject({
      provenant_factsSource: "oidc-token",
      invocationId: "https://dev.azure.com/acme/Payments%20Platform/_build/results?buildId=1234",
    });
    expect(fields.buildDefinition.externalParameters).toMatchObject({ definition: { yamlPath: "/pipelines/ci.yml" } });
    expect(fields.buildDefinition.internalParameters).toMatchObject({ idTokenIssuer: VSTOKEN_ISSUER });
  });

  it("records the pool of the queue this job ran on, not the run's default queue", async () => {
    // The definition's default pool is Microsoft-hosted; this job says `pool: name: SelfHosted`.
    await withAzure({ ...FAKE_BUILD, queue: HOSTED_QUEUE, jobQueue: SELF_HOSTED_QUEUE }, {}, async (server) => {
      const { context } = contextFor(jobEnv());
      const fields = await adapter.collect(context);
      expect(fields.runDetails.builder.id).toBe("https://dev.azure.com/acme/_agents/self-hosted");
      expect(fields.buildDefinition.internalParameters).toMatchObject({ agent: { hosted: false } });
      expect(server.requests.map((r) => r.path.replace(/\?.*/, ""))).toContain(`/acme/Payments%20Platform/_apis/distributedtask/queues/${SELF_HOSTED_QUEUE.id}`);
    });
  });

  it("records a Microsoft-hosted job from Queues - Get when the run's default pool is self-hosted", async () => {
    await withAzure({ ...FAKE_BUILD, queue: SELF_HOSTED_QUEUE, jobQueue: HOSTED_QUEUE }, {}, async () => {
      const { context, warnings } = contextFor(jobEnv());
      const fields = await adapter.collect(context);
      expect(fields.runDetails.builder.id).toBe("https://dev.azure.com/acme/_agents/microsoft-hosted");
      expect(warnings.join("\n")).not.toMatch(/queue/);
    });
  });

  it("takes a hosted pool from Builds - Get when the job ran on the run's queue, even if Queues - Get is refused", async () => {
    // A build identity without a role on the project's agent queues: the common case must still be hosted.
    await withAzure({ ...FAKE_BUILD, queue: HOSTED_QUEUE, jobQueue: HOSTED_QUEUE }, { refuseQueues: 403 }, async (server) => {
      const { context, warnings } = contextFor(jobEnv());
      const fields = await adapter.collect(context);
      expect(fields.runDetails.builder.id).toBe("https://dev.azure.com/acme/_agents/microsoft-hosted");
      expect(fields.buildDefinition.internalParameters).toMatchObject({ agent: { hosted: true } });
      expect(warnings.join("\n")).not.toMatch(/queue/);
      expect(server.requests.some((r) => r.path.includes("/distributedtask/"))).toBe(false);
    });
  });

  it.each([403, 404] as const)(
    "leaves the pool kind unknown, naming the role the build identity needs, when Queues - Get answers %i for the job's own queue",
    async (status) => {
      await withAzure({ ...FAKE_BUILD, queue: SELF_HOSTED_QUEUE, jobQueue: HOSTED_QUEUE }, { refuseQueues: status }, async () => {
        const { context, warnings } = contextFor(jobEnv());
        const fields = await adapter.collect(context);
        expect(fields.runDetails.builder.id).toBe("https://dev.azure.com/acme/_agents/self-hosted");
        expect((fields.buildDefinition.internalParameters as { agent: Record<string, unknown> }).agent).not.toHaveProperty("hosted");
        expect(warnings.join("\n")).toMatch(
          new RegExp(`agent queue ${HOSTED_QUEUE.id}.*needs the Reader role on agent queue ${HOSTED_QUEUE.id} .*the builder id says self-hosted`),
        );
      });
    },
  );

  it("leaves the pool kind unknown, and the builder self-hosted, when the timeline has no record of this job", async () => {
    const { context, warnings } = contextFor(jobEnv({ SYSTEM_JOBID: "0e8f2c6a-1b3d-4f5e-9a7c-2d4e6f8a0b1c" }));
    const fields = await adapter.collect(context);
    expect(fields.runDetails.builder.id).toBe("https://dev.azure.com/acme/_agents/self-hosted");
    expect((fields.buildDefinition.internalParameters as { agent: Record<string, unknown> }).agent).not.toHaveProperty("hosted");
    expect(warnings.join("\n")).toMatch(/timeline names no queue for this job .* the builder id says self-hosted/);
  });

  it("refuses a token from an issuer the pipeline chose, even when named in the options, instead of recording L2 facts", async () => {
    // What a pipeline can arrange on its own: its own issuer, whose token claims this organization's
    // pipeline, handed over ready-made (SYSTEM_OIDCREQUESTURI cannot point elsewhere than Azure DevOps).
    const foreign = await startTestIssuer({ defaultAudience: AZURE_TOKEN_AUDIENCE });
    try {
      const { iss: _vstoken, ...claims } = pipelineClaims(AZURE_REPOS_CI_ENV);
      const token = await foreign.sign(claims);
      const { context } = contextFor(jobEnv({ PIPELINE_ID_TOKEN: token }), { tokenVariable: "PIPELINE_ID_TOKEN", tokenIssuer: foreign.issuer });
      await expect(collectAzurePipelinesFacts(context)).rejects.toSatisfy((error) => isProvenantError(error, "TOKEN_INVALID"));
    } finally {
      await foreign.close();
    }
    // Even signed by a key the vstoken JWKS holds, a token naming another issuer is refused for its issuer.
    const { iss: _vstoken, ...claims } = pipelineClaims(AZURE_REPOS_CI_ENV);
    const token = await issuer.sign({ ...claims, iss: issuer.issuer });
    const { context } = contextFor(jobEnv({ PIPELINE_ID_TOKEN: token }), { tokenVariable: "PIPELINE_ID_TOKEN", tokenIssuer: issuer.issuer });
    await expect(collectAzurePipelinesFacts(context)).rejects.toSatisfy(
      (error) => isProvenantError(error, "TOKEN_INVALID") && (error as Error).message.includes(`issuer is not ${VSTOKEN_ISSUER}`),
    );
  });

  it("refuses a token whose org_id is not the organization its issuer names", async () => {
    const token = await issuer.sign({ ...pipelineClaims(AZURE_REPOS_CI_ENV), org_id: "9b0c6a5e-1d2f-4e3a-8b7c-0d1e2f3a4b5c" });
    const { context } = contextFor(jobEnv({ PIPELINE_ID_TOKEN: token }), { tokenVariable: "PIPELINE_ID_TOKEN" });
    await expect(collectAzurePipelinesFacts(context)).rejects.toSatisfy(
      (error) => isProvenantError(error, "TOKEN_INVALID") && /org_id is 9b0c6a5e-.* but its issuer names organization 2f1a8a52-/.test((error as Error).message),
    );
  });

  it("refuses a SYSTEM_COLLECTIONID that is not an organization id, so it cannot steer the issuer URL", async () => {
    const token = await issuer.sign(pipelineClaims(AZURE_REPOS_CI_ENV));
    const { context } = contextFor(jobEnv({ PIPELINE_ID_TOKEN: token, SYSTEM_COLLECTIONID: "../evil" }), { tokenVariable: "PIPELINE_ID_TOKEN" });
    await expect(collectAzurePipelinesFacts(context)).rejects.toSatisfy(
      (error) => isProvenantError(error, "PLATFORM_FACTS_MISSING") && /SYSTEM_COLLECTIONID is \.\.\/evil; expected the organization id, a GUID/.test((error as Error).message),
    );
  });

  it("warns and keeps going when the Build API is unreachable", async () => {
    const unreachable = routeServices({ tokenUrl: issuer.tokenUrl, apiOrigin: "http://127.0.0.1:9" });
    try {
      const { context, warnings } = contextFor({ ...AZURE_REPOS_CI_ENV, SYSTEM_OIDCREQUESTURI: undefined, SYSTEM_ACCESSTOKEN: "job-access-token" });
      const facts = await collectAzurePipelinesFacts(context);
      expect(facts.factsSource).toBe("environment");
      expect(facts.build.reason).toBe("IndividualCI");
      expect(warnings.some((w) => w.startsWith("cannot read the Build API at https://dev.azure.com/acme/"))).toBe(true);
    } finally {
      unreachable.restore();
    }
  });

  it("falls back to environment facts, with a warning, when the token endpoint refuses the access token", async () => {
    const { context, warnings } = contextFor(jobEnv({ SYSTEM_ACCESSTOKEN: "a-token-without-the-scope" }));
    const facts = await collectAzurePipelinesFacts(context);
    expect(facts.factsSource).toBe("environment");
    expect(warnings.some((w) => /OIDC token request .* answered HTTP 401.*environment facts only/.test(w))).toBe(true);
  });

  it("refuses a verified token issued to another organization than SYSTEM_COLLECTIONURI names", async () => {
    const token = await issuer.sign(pipelineClaims(AZURE_REPOS_CI_ENV));
    const { context } = contextFor(jobEnv({ PIPELINE_ID_TOKEN: token, SYSTEM_COLLECTIONURI: "https://dev.azure.com/contoso/" }), { tokenVariable: "PIPELINE_ID_TOKEN" });
    await expect(collectAzurePipelinesFacts(context)).rejects.toSatisfy(
      (error) => isProvenantError(error, "TOKEN_INVALID") && /organization contoso but the OIDC token was issued to acme/.test((error as Error).message),
    );
    // Without a subject naming the organization, nothing ties the collection URI to the token.
    const { sub: _sub, ...unnamed } = pipelineClaims(AZURE_REPOS_CI_ENV);
    const anonymous = await issuer.sign(unnamed);
    const second = contextFor(jobEnv({ PIPELINE_ID_TOKEN: anonymous }), { tokenVariable: "PIPELINE_ID_TOKEN" });
    await expect(collectAzurePipelinesFacts(second.context)).rejects.toSatisfy(
      (error) => isProvenantError(error, "TOKEN_INVALID") && /sub is missing; expected p:\/\/<organization>/.test((error as Error).message),
    );
  });

  it("sends the job access token to no host but Azure DevOps Services, whatever SYSTEM_COLLECTIONURI names", async () => {
    // A step rewrote the variables to point at a server of its own that claims a hosted pool:
    // the fake Azure DevOps itself, reached directly, and the test issuer's token endpoint.
    const apiBefore = azure.requests.length;
    const issuerBefore = issuer.requests.length;
    const { context, warnings } = contextFor(jobEnv({ SYSTEM_COLLECTIONURI: `${azure.origin}/acme/`, SYSTEM_OIDCREQUESTURI: issuer.tokenUrl }));
    const fields = await adapter.collect(context);
    expect(authorized(azure.requests.slice(apiBefore))).toEqual([]);
    expect(authorized(issuer.requests.slice(issuerBefore))).toEqual([]);
    expect(fields.runDetails.metadata).toMatchObject({ provenant_factsSource: "environment" });
    expect(fields.runDetails.builder.id).toBe(`${azure.origin}/acme/_agents/self-hosted`);
    expect(warnings.join("\n")).toMatch(/not an Azure DevOps Services organization .*the job access token was not sent/);
    expect(warnings.join("\n")).toMatch(/the job access token is sent nowhere else, so the Build API was not read/);

    // An https host is no better: nothing is fetched at all.
    const fetched: string[] = [];
    const evil = contextFor(jobEnv({ SYSTEM_COLLECTIONURI: "https://evil.example/acme/", SYSTEM_OIDCREQUESTURI: "https://evil.example/acme/_apis/oidctoken" }));
    evil.context.fetch = async (input) => {
      fetched.push(String(input));
      return new Response("{}", { status: 500 });
    };
    const facts = await collectAzurePipelinesFacts(evil.context);
    expect(fetched).toEqual([]);
    expect(facts).toMatchObject({ factsSource: "environment", collectionUri: "https://evil.example/acme/", agent: { hosted: undefined } });

    // And a verified token does not make such a collection URI a Services organization.
    const token = await issuer.sign(pipelineClaims(AZURE_REPOS_CI_ENV));
    const named = contextFor(jobEnv({ PIPELINE_ID_TOKEN: token, SYSTEM_COLLECTIONURI: `${azure.origin}/acme/` }), { tokenVariable: "PIPELINE_ID_TOKEN" });
    await expect(collectAzurePipelinesFacts(named.context)).rejects.toSatisfy(
      (error) => isProvenantError(error, "TOKEN_INVALID") && /comes only from Azure DevOps Services; expected https:\/\/dev\.azure\.com\/<organization>\//.test((error as Error).message),
    );
    expect(authorized(azure.requests.slice(apiBefore))).toEqual([]);
  });

  it("sends no OIDC token request to a SYSTEM_OIDCREQUESTURI outside the collection's organization", async () => {
    const issuerBefore = issuer.requests.length;
    const job = AZURE_REPOS_CI_ENV.SYSTEM_OIDCREQUESTURI;
    for (const [requestUri, reason] of [
      [issuer.tokenUrl, /is not an https URL on dev\.azure\.com/],
      [job.replace("https://", "http://"), /is not an https URL on dev\.azure\.com/],
      [job.replace("/acme/", "/contoso/"), /names organization contoso, not acme of SYSTEM_COLLECTIONURI/],
      [job.replace("https://dev.azure.com/acme/", "https://evil.example/acme/"), /is not an https URL on dev\.azure\.com/],
      [job.replace("/oidctoken", "/logs"), /is not the Oidctoken - Create route/],
    ] as const) {
      const { context, warnings } = contextFor(jobEnv({ SYSTEM_OIDCREQUESTURI: requestUri }));
      const facts = await collectAzurePipelinesFacts(context);
      expect(facts.factsSource, requestUri).toBe("environment");
      expect(warnings.find((w) => w.startsWith("SYSTEM_OIDCREQUESTURI ")), requestUri).toMatch(reason);
    }
    expect(issuer.requests.slice(issuerBefore).filter((r) => r.method === "POST")).toEqual([]);
  });

  it("gives up on a Build API that accepts the connection but never answers", async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as AddressInfo;
    // The deadline is a parameter; the message says it was the one that ended the wait.
    await expect(
      readBuildApi({ collectionUri: `http://127.0.0.1:${port}/acme/`, project: "p", buildId: 1, accessToken: "t" }, { deadlineMs: 500 }),
    ).rejects.toThrow("no answer within 0.5 s");
    silent.closeAllConnections();
    silent.close();
  });

  it("verifies a ready-made token from --token-variable instead of requesting one", async () => {
    const token = await issuer.sign({ ...pipelineClaims(AZURE_REPOS_CI_ENV), rpo_ref: "refs/tags/v2.4.0" });
    const requestsBefore = issuer.requests.filter((r) => r.method === "POST").length;
    const { context } = contextFor(
      { ...AZURE_REPOS_CI_ENV, PIPELINE_ID_TOKEN: token },
      { tokenVariable: "PIPELINE_ID_TOKEN" },
    );
    const facts = await collectAzurePipelinesFacts(context);
    expect(facts).toMatchObject({ factsSource: "oidc-token", ref: "refs/tags/v2.4.0" });
    expect(issuer.requests.filter((r) => r.method === "POST").length).toBe(requestsBefore);
  });

  it("rejects a token for another audience", async () => {
    const token = await issuer.sign(pipelineClaims(AZURE_REPOS_CI_ENV), { audience: "someone-else" });
    const { context } = contextFor(jobEnv({ PIPELINE_ID_TOKEN: token }), { tokenVariable: "PIPELINE_ID_TOKEN" });
    await expect(collectAzurePipelinesFacts(context)).rejects.toSatisfy((error) => isProvenantError(error, "TOKEN_INVALID"));
  });

  it("rejects an expired token and one signed by another key", async () => {
    for (const signOptions of [{ expiresInSeconds: -600 }, { otherKey: true }]) {
      const token = await issuer.sign(pipelineClaims(AZURE_REPOS_CI_ENV), signOptions);
      const { context } = contextFor(jobEnv({ PIPELINE_ID_TOKEN: token }), { tokenVariable: "PIPELINE_ID_TOKEN" });
      await expect(collectAzurePipelinesFacts(context)).rejects.toSatisfy((error) => isProvenantError(error, "TOKEN_INVALID"));
    }
  });

  it("rejects a token without the repository claims", async () => {
    const { rpo_ver: _omitted, ...claims } = pipelineClaims(AZURE_REPOS_CI_ENV);
    const token = await issuer.sign(claims);
    const { context } = contextFor(jobEnv({ PIPELINE_ID_TOKEN: token }), { tokenVariable: "PIPELINE_ID_TOKEN" });
    await expect(collectAzurePipelinesFacts(context)).rejects.toSatisfy(
      (error) => isProvenantError(error, "PLATFORM_FACTS_MISSING") && /rpo_ver/.test((error as Error).message),
    );
  });

  it("expects the token from vstoken.dev.azure.com for the organization by default", async () => {
    const token = await issuer.sign(pipelineClaims(AZURE_REPOS_CI_ENV));
    const fetched: string[] = [];
    const { context } = contextFor(jobEnv({ PIPELINE_ID_TOKEN: token }), { tokenVariable: "PIPELINE_ID_TOKEN" });
    context.fetch = async (input) => {
      fetched.push(String(input));
      return new Response("{}", { status: 404 });
    };
    await expect(collectAzurePipelinesFacts(context)).rejects.toSatisfy((error) => isProvenantError(error, "TOKEN_INVALID"));
    expect(fetched).toEqual([`https://vstoken.dev.azure.com/${AZURE_REPOS_CI_ENV.SYSTEM_COLLECTIONID}/.well-known/openid-configuration`]);
  });

  it("names the missing predefined variables outside a pipeline job", async () => {
    const { context } = contextFor({ TF_BUILD: "True", SYSTEM_COLLECTIONURI: "https://dev.azure.com/acme/" });
    await expect(collectAzurePipelinesFacts(context)).rejects.toSatisfy(
      (error) =>
        isProvenantError(error, "PLATFORM_FACTS_MISSING") &&
        /SYSTEM_TEAMPROJECT, SYSTEM_DEFINITIONID, BUILD_BUILDID, BUILD_REPOSITORY_URI, BUILD_SOURCEBRANCH, BUILD_SOURCEVERSION/.test(
          (error as Error).message,
        ),
    );
  });

  it("refuses a commit that is not a git object id", async () => {
    const { context } = contextFor({ ...AZURE_REPOS_CI_ENV, SYSTEM_OIDCREQUESTURI: undefined, BUILD_SOURCEVERSION: "C1234" });
    await expect(collectAzurePipelinesFacts(context)).rejects.toSatisfy((error) => isProvenantError(error, "PLATFORM_FACTS_MISSING"));
  });
});
