import { createPublicKey } from "node:crypto";
import { BUILD_TYPES, FACTS_SOURCE_FIELD, generateKeyPair, keySigner, privateKeyFromPem, verify } from "@provenant/core";
import { startTestIssuer, type TestIssuer } from "@provenant/oidc/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseSigningConfig, type SigningConfig, type TrustedIssuer } from "./config.js";
import { type SigningDeps, signingDepsWithDefaults, signProvenance } from "./sign-provenance.js";

const NOW = new Date("2026-12-01T12:00:00Z");
const nowSeconds = NOW.getTime() / 1000;
const ORG_ID = "2f1a8a52-4c2e-4f7b-9c0d-6d4a0e3b1c11";
/** The issuer Azure DevOps names for the organization; its discovery is answered by `vstokenFetch`. */
const VSTOKEN = `https://vstoken.dev.azure.com/${ORG_ID}`;
/** Azure's fixed audience: Oidctoken - Create takes none. */
const AUDIENCE = "api://AzureADTokenExchange";
const COMMIT = "3f786850e387550fdab836ed7e6dc881de23001b";
const DIGEST = "b".repeat(64);
const subjects = [{ name: "app.tgz", digest: { sha256: DIGEST } }];

// A pipeline token's claims as Azure DevOps issues them (Oidctoken - Create, REST 7.1).
function azureClaims(overrides: Record<string, unknown> = {}) {
  return {
    iss: VSTOKEN,
    sub: "p://acme/Payments Platform/payments-api-ci",
    org_id: ORG_ID,
    prj_id: "7d9e1c3a-0b5f-4e2d-8a61-93c2b4f0e7aa",
    def_id: "42",
    rpo_id: "c0ffee00-1111-4222-8333-944445555666",
    rpo_uri: "https://dev.azure.com/acme/Payments%20Platform/_git/payments-api",
    rpo_ref: "refs/heads/main",
    rpo_ver: COMMIT,
    run_id: "1234",
    iat: nowSeconds - 10,
    nbf: nowSeconds - 10,
    exp: nowSeconds + 590,
    ...overrides,
  };
}

let issuer: TestIssuer;
const serviceKey = privateKeyFromPem(generateKeyPair("ecdsa-p256").privateKeyPem);

beforeAll(async () => {
  issuer = await startTestIssuer({ defaultAudience: AUDIENCE });
});
afterAll(async () => {
  await issuer.close();
});

/**
 * vstoken.dev.azure.com's discovery document and JWKS (on its own origin, as
 * the verifier requires), answered with the local issuer's real keys: the
 * server's injected fetch is the one seam, as a real deployment's would be
 * its network.
 */
function vstokenFetch(elsewhere: typeof globalThis.fetch = globalThis.fetch): typeof globalThis.fetch {
  const jwksUrl = "https://vstoken.dev.azure.com/.well-known/jwks";
  return (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    if (url === `${VSTOKEN}/.well-known/openid-configuration`) {
      const document = { issuer: VSTOKEN, jwks_uri: jwksUrl, response_types_supported: ["id_token"], subject_types_supported: ["public"], id_token_signing_alg_values_supported: ["RS256"] };
      return new Response(JSON.stringify(document), { headers: { "content-type": "application/json" } });
    }
    if (url === jwksUrl) return globalThis.fetch(issuer.jwksUri);
    return elsewhere(input, init);
  }) as typeof globalThis.fetch;
}

function azureIssuer(overrides: Partial<TrustedIssuer> = {}): TrustedIssuer {
  return {
    issuer: VSTOKEN,
    platform: "azure-pipelines",
    audiences: [AUDIENCE],
    repositories: ["dev.azure.com/acme/Payments Platform/_git/*"],
    builders: ["acme/Payments Platform/*"],
    ...overrides,
  };
}

/** `azureApi`: what answers requests to dev.azure.com (the enrichment's REST calls). */
function deps(trusted: TrustedIssuer = azureIssuer(), platform: { environment?: SigningDeps["environment"]; azureApi?: typeof globalThis.fetch } = {}): SigningDeps {
  const config: SigningConfig = { trustedIssuers: [trusted] };
  return signingDepsWithDefaults({
    config,
    signer: keySigner(serviceKey),
    clock: () => NOW,
    fetch: vstokenFetch(platform.azureApi),
    ...(platform.environment ? { environment: platform.environment } : {}),
  });
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => "accepted",
    (error: { code?: string }) => error.code ?? String(error),
  );
}

describe("signProvenance for Azure Pipelines", () => {
  it("builds the provenance from the token alone; with the service key it verifies as L2, because the token does not say the pool was Microsoft-hosted", async () => {
    const result = await signProvenance({ token: await issuer.sign(azureClaims()), subjects }, deps());
    expect(result.identity).toEqual({ repository: "dev.azure.com/acme/Payments Platform/_git/payments-api", builder: "acme/Payments Platform/payments-api-ci" });
    const { buildDefinition, runDetails } = result.provenance;
    expect(buildDefinition.buildType).toBe(BUILD_TYPES.azurePipelines);
    expect(buildDefinition.resolvedDependencies?.[0]).toEqual({
      uri: "git+https://dev.azure.com/acme/Payments%20Platform/_git/payments-api@refs/heads/main",
      digest: { gitCommit: COMMIT },
    });
    expect(buildDefinition.internalParameters).toMatchObject({ organization: "acme", organizationId: ORG_ID, project: "Payments Platform", buildId: "1234", idTokenIssuer: VSTOKEN });
    expect(runDetails.builder.id).toBe("https://dev.azure.com/acme/_agents/self-hosted");
    expect(runDetails.metadata?.[FACTS_SOURCE_FIELD]).toBe("service-oidc-token");
    const report = verify(result.bundle, {
      trustedKeys: [],
      serviceKeys: [{ publicKey: createPublicKey(serviceKey) }],
      artifactDigests: [{ sha256: DIGEST }],
      policy: { sourceUri: "dev.azure.com/acme/*/_git/payments-api", minimumLevel: 2 },
    });
    expect(report.verified).toBe(true);
    expect(report.slsaLevel).toEqual({ level: 2, reason: expect.stringMatching(/signing service.*Azure Pipelines agent whose pool is not known/) });
  });

  it("names the legacy collection URI when the issuer is configured with one", async () => {
    const result = await signProvenance({ token: await issuer.sign(azureClaims()), subjects }, deps(azureIssuer({ serverUrl: "https://acme.visualstudio.com/" })));
    expect(result.provenance.runDetails.metadata?.invocationId).toBe("https://acme.visualstudio.com/Payments%20Platform/_build/results?buildId=1234");
  });

  it("refuses another organization's repository, an unpinned pipeline, a service connection's token an org_id its issuer does not name and a repository path hiding a separator", async () => {
    const elsewhere = azureClaims({ rpo_uri: "https://dev.azure.com/acme/Other/_git/tool" });
    expect(await codeOf(signProvenance({ token: await issuer.sign(elsewhere), subjects }, deps()))).toBe("REPOSITORY_NOT_ALLOWED");
    const otherPipeline = azureClaims({ sub: "p://acme/Sandbox/anything" });
    expect(await codeOf(signProvenance({ token: await issuer.sign(otherPipeline), subjects }, deps()))).toBe("BUILDER_NOT_ALLOWED");
    const serviceConnection = azureClaims({ sub: "sc://acme/Payments Platform/prod-arm" });
    expect(await codeOf(signProvenance({ token: await issuer.sign(serviceConnection), subjects }, deps()))).toBe("PLATFORM_FACTS_MISSING");
    const otherOrg = azureClaims({ org_id: "00000000-0000-4000-8000-000000000000" });
    expect(await codeOf(signProvenance({ token: await issuer.sign(otherOrg), subjects }, deps()))).toBe("TOKEN_INVALID");
    const encoded = azureClaims({ rpo_uri: "https://dev.azure.com/acme/Payments%20Platform/_git/a%252F..%252Fb" });
    expect(await codeOf(signProvenance({ token: await issuer.sign(encoded), subjects }, deps(azureIssuer({ repositories: ["dev.azure.com/**"] }))))).toBe("TOKEN_INVALID");
  });

  it("refuses a token for another audience than the one configured", async () => {
    expect(await codeOf(signProvenance({ token: await issuer.sign(azureClaims(), { audience: "https://vault.example.com" }), subjects }, deps()))).toBe("TOKEN_AUDIENCE");
  });
});

/**
 * dev.azure.com for organization acme, answering Timeline - Get (Build 7.1)
 * and Queues - Get (Distributed Task 7.1) in Microsoft's documented shapes.
 * Every request is recorded with the Authorization header it carried.
 */
function azureDevOps(options: { jobs: { name: string; state: string; queueId?: number }[]; queues: Record<number, { name: string; isHosted: boolean }>; status?: number }) {
  const requests: { url: string; authorization: string | null }[] = [];
  const fetch = (async (input: Parameters<typeof globalThis.fetch>[0], init?: RequestInit) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    requests.push({ url, authorization: new Headers(init?.headers).get("authorization") });
    const json = (body: unknown) => new Response(JSON.stringify(body), { status: 200, headers: { "content-type": "application/json" } });
    if (options.status) return new Response(JSON.stringify({ message: "TF400813: The user is not authorized to access this resource." }), { status: options.status });
    if (url === "https://dev.azure.com/acme/Payments%20Platform/_apis/build/builds/1234/timeline?api-version=7.1") {
      const records = [
        { id: "e5f1", parentId: null, type: "Stage", name: "Build", state: "inProgress", result: null },
        ...options.jobs.map((job, i) => ({ id: `job-${i}`, parentId: "e5f1", type: "Job", name: job.name, state: job.state, result: null, workerName: job.queueId ? "Azure Pipelines 3" : null, ...(job.queueId !== undefined ? { queueId: job.queueId } : {}) })),
        { id: "t1", parentId: "job-0", type: "Task", name: "ProvenantAttest", state: "inProgress", result: null },
      ];
      return json({ records, lastChangedBy: "00000002-0000-8888-8000-000000000000", id: "8b6bd6ab-0f2f-4b1b-8e45-5b7c3d64e0d0", changeId: 12 });
    }
    const queue = /\/_apis\/distributedtask\/queues\/(\d+)\?api-version=7\.1$/.exec(url);
    if (queue && options.queues[Number(queue[1])]) {
      const { name, isHosted } = options.queues[Number(queue[1])]!;
      return json({ id: Number(queue[1]), projectId: "7d9e1c3a-0b5f-4e2d-8a61-93c2b4f0e7aa", name, pool: { id: 9, scope: "4b3b4d56", name, isHosted, poolType: "automation", size: 1 } });
    }
    return new Response("", { status: 404 });
  }) as typeof globalThis.fetch;
  return { fetch, requests };
}

const enriched = (overrides: Partial<NonNullable<TrustedIssuer["enrichment"]>> = {}) =>
  azureIssuer({ enrichment: { organizationUrl: "https://dev.azure.com/acme/", credentialEnv: "PROVENANT_AZDO_PAT", ...overrides } });
const serverEnvironment = { PROVENANT_AZDO_PAT: "server-pat-not-the-callers" };
const levelOf = (bundle: unknown) =>
  verify(bundle, { trustedKeys: [], serviceKeys: [{ publicKey: createPublicKey(serviceKey) }], artifactDigests: [{ sha256: DIGEST }] }).slsaLevel;

describe("Azure Pipelines enrichment: the run's agent pools from the Azure DevOps REST API, with the server's credential", () => {
  const hostedRun = () =>
    azureDevOps({
      jobs: [
        { name: "Build", state: "completed", queueId: 11 },
        { name: "Attest", state: "inProgress", queueId: 11 },
        // Not started: it cannot have touched what is attested now.
        { name: "Deploy", state: "pending" },
      ],
      queues: { 11: { name: "Azure Pipelines", isHosted: true } },
    });

  it("records a Microsoft-hosted run, so the service-signed bundle verifies as L3; the credential goes to the organization only", async () => {
    const api = hostedRun();
    const result = await signProvenance({ token: await issuer.sign(azureClaims()), subjects }, deps(enriched(), { environment: serverEnvironment, azureApi: api.fetch }));
    expect(result.provenance.runDetails.builder.id).toBe("https://dev.azure.com/acme/_agents/microsoft-hosted");
    expect(result.provenance.runDetails.metadata?.provenant_agentPools).toEqual({ source: "azure-devops-rest-api", hosted: true, jobs: 2 });
    expect(levelOf(result.bundle)).toMatchObject({ level: 3 });
    expect(api.requests.map((r) => r.url)).toEqual([
      "https://dev.azure.com/acme/Payments%20Platform/_apis/build/builds/1234/timeline?api-version=7.1",
      "https://dev.azure.com/acme/Payments%20Platform/_apis/distributedtask/queues/11?api-version=7.1",
    ]);
    expect(new Set(api.requests.map((r) => r.authorization))).toEqual(new Set([`Basic ${Buffer.from(":server-pat-not-the-callers").toString("base64")}`]));
  });

  it("stays L2 for a run with a job on a self-hosted pool, saying so", async () => {
    const api = azureDevOps({
      jobs: [
        { name: "Build", state: "completed", queueId: 12 },
        { name: "Attest", state: "inProgress", queueId: 11 },
      ],
      queues: { 11: { name: "Azure Pipelines", isHosted: true }, 12: { name: "build-farm", isHosted: false } },
    });
    const result = await signProvenance({ token: await issuer.sign(azureClaims()), subjects }, deps(enriched(), { environment: serverEnvironment, azureApi: api.fetch }));
    expect(result.provenance.runDetails.builder.id).toBe("https://dev.azure.com/acme/_agents/self-hosted");
    expect(result.provenance.runDetails.metadata?.provenant_agentPools).toMatchObject({ hosted: false, reason: expect.stringContaining('"build-farm" is self-hosted') });
    expect(levelOf(result.bundle)).toEqual({ level: 2, reason: expect.stringContaining("self-hosted Azure Pipelines agent pool") });
  });

  it("signs at L2 when the API refuses or the credential is missing; refuses to sign (token still unused) when enrichment is required", async () => {
    const refusing = azureDevOps({ jobs: [], queues: {}, status: 401 });
    const refused = await signProvenance({ token: await issuer.sign(azureClaims()), subjects }, deps(enriched(), { environment: serverEnvironment, azureApi: refusing.fetch }));
    expect(refused.provenance.runDetails.metadata?.provenant_agentPools).toMatchObject({ hosted: "unknown", reason: expect.stringContaining("HTTP 401") });
    expect(levelOf(refused.bundle)).toEqual({ level: 2, reason: expect.stringContaining("whose pool is not known") });
    const unset = await signProvenance({ token: await issuer.sign(azureClaims()), subjects }, deps(enriched(), { environment: {}, azureApi: refusing.fetch }));
    expect(unset.provenance.runDetails.metadata?.provenant_agentPools).toMatchObject({ reason: expect.stringContaining("PROVENANT_AZDO_PAT) is not set") });

    const strict = deps(enriched({ required: true }), { environment: serverEnvironment, azureApi: refusing.fetch });
    const token = await issuer.sign(azureClaims());
    expect(await codeOf(signProvenance({ token, subjects }, strict))).toBe("SOURCE_UNAVAILABLE");
    // Refused before the replay check: once the API answers, the same token signs.
    const answering = hostedRun();
    expect((await signProvenance({ token, subjects }, { ...strict, fetch: vstokenFetch(answering.fetch) })).provenance.runDetails.builder.id).toBe(
      "https://dev.azure.com/acme/_agents/microsoft-hosted",
    );
  });

  it("never sends the credential for a run of another organization, and takes enrichment on Azure issuers only", async () => {
    const api = hostedRun();
    const result = await signProvenance(
      { token: await issuer.sign(azureClaims()), subjects },
      deps(enriched({ organizationUrl: "https://dev.azure.com/contoso/" }), { environment: serverEnvironment, azureApi: api.fetch }),
    );
    expect(api.requests).toEqual([]);
    expect(result.provenance.runDetails.metadata?.provenant_agentPools).toMatchObject({ reason: expect.stringContaining("not https://dev.azure.com/contoso/") });
    expect(() =>
      parseSigningConfig({ trustedIssuers: [{ ...enriched(), platform: "github", issuer: "https://token.actions.githubusercontent.com" }] }),
    ).toThrow(/enrichment applies to Azure Pipelines issuers only/);
  });
});
