import { parseProvenance, sourceOf } from "@provenant/core";
import { describe, expect, it } from "vitest";
import type { AzurePipelinesFacts } from "../facts/types.js";
import { azurePipelinesProvenance } from "./provenance.js";

// Facts as collectAzurePipelinesFacts returns them for the jobs described in
// test-fixtures/variables.ts, with Build API enrichment where noted.
const azureReposCi: AzurePipelinesFacts = {
  collectionUri: "https://dev.azure.com/acme/",
  organization: "acme",
  organizationId: "2f1a8a52-4c2e-4f7b-9c0d-6d4a0e3b1c11",
  project: "Payments Platform",
  projectId: "7d9e1c3a-0b5f-4e2d-8a61-93c2b4f0e7aa",
  definition: { id: "42", name: "payments-api-ci", revision: 7, yamlPath: "/pipelines/ci.yml" },
  build: {
    id: "1234",
    number: "20261122.3",
    reason: "IndividualCI",
    requestedFor: "dev@acme.example",
    queueTime: new Date("2026-11-22T10:00:00.000Z"),
    startTime: new Date("2026-11-22T10:00:05.000Z"),
    templateParameters: { environment: "staging" },
  },
  repository: {
    url: "https://dev.azure.com/acme/Payments%20Platform/_git/payments-api",
    provider: "TfsGit",
    name: "payments-api",
    id: "c0ffee00-1111-4222-8333-944445555666",
  },
  ref: "refs/heads/main",
  commit: "3f786850e387550fdab836ed7e6dc881de23001b",
  agent: { name: "Azure Pipelines 3", id: "9", os: "Linux", hosted: true },
  job: { id: "12f1170f-54f2-53f3-20dd-22fc7dff55f9", name: "Build" },
  factsSource: "oidc-token",
  tokenIssuer: "https://vstoken.dev.azure.com/2f1a8a52-4c2e-4f7b-9c0d-6d4a0e3b1c11",
  provenantVersion: "0.1.0",
};

const githubPullRequest: AzurePipelinesFacts = {
  ...azureReposCi,
  definition: { id: "42", name: "payments-api-ci" },
  build: { id: "1240", number: "20261122.9", reason: "PullRequest" },
  repository: { url: "https://github.com/acme/payments-api", provider: "GitHub", name: "acme/payments-api" },
  ref: "refs/pull/17/merge",
  commit: "9fceb02d0ae598e95dc970b74767f19372d61af8",
  agent: { name: "build-rack-07", id: "31", os: "Linux", hosted: false },
  factsSource: "environment",
  tokenIssuer: undefined,
};

const manualTagBuild: AzurePipelinesFacts = {
  ...azureReposCi,
  build: { ...azureReposCi.build, id: "1300", reason: "Manual", templateParameters: {} },
  ref: "refs/tags/v2.4.0",
  // The pool kind is unknown without the Build API.
  agent: { name: "Azure Pipelines 1" },
};

describe("azurePipelinesProvenance", () => {
  it("records an Azure Repos CI build on a Microsoft-hosted agent", () => {
    const fields = azurePipelinesProvenance(azureReposCi);
    expect(fields.buildDefinition).toEqual({
      buildType: "https://provenant.dev/buildtypes/azure-pipelines/v1",
      externalParameters: {
        repository: "https://dev.azure.com/acme/Payments%20Platform/_git/payments-api",
        ref: "refs/heads/main",
        definition: { id: "42", name: "payments-api-ci", yamlPath: "/pipelines/ci.yml" },
        templateParameters: { environment: "staging" },
      },
      internalParameters: {
        organization: "acme",
        organizationId: "2f1a8a52-4c2e-4f7b-9c0d-6d4a0e3b1c11",
        collectionUri: "https://dev.azure.com/acme/",
        project: "Payments Platform",
        projectId: "7d9e1c3a-0b5f-4e2d-8a61-93c2b4f0e7aa",
        definitionId: "42",
        definitionRevision: 7,
        buildId: "1234",
        buildNumber: "20261122.3",
        reason: "IndividualCI",
        requestedFor: "dev@acme.example",
        queuedOn: "2026-11-22T10:00:00.000Z",
        repositoryProvider: "TfsGit",
        repositoryId: "c0ffee00-1111-4222-8333-944445555666",
        agent: { name: "Azure Pipelines 3", id: "9", os: "Linux", hosted: true },
        job: { id: "12f1170f-54f2-53f3-20dd-22fc7dff55f9", name: "Build" },
        idTokenIssuer: "https://vstoken.dev.azure.com/2f1a8a52-4c2e-4f7b-9c0d-6d4a0e3b1c11",
      },
      resolvedDependencies: [
        {
          uri: "git+https://dev.azure.com/acme/Payments%20Platform/_git/payments-api@refs/heads/main",
          digest: { gitCommit: "3f786850e387550fdab836ed7e6dc881de23001b" },
        },
      ],
    });
    expect(fields.runDetails).toEqual({
      builder: { id: "https://dev.azure.com/acme/_agents/microsoft-hosted", version: { provenant: "0.1.0" } },
      metadata: {
        invocationId: "https://dev.azure.com/acme/Payments%20Platform/_build/results?buildId=1234",
        startedOn: "2026-11-22T10:00:05.000Z",
        // No finishedOn: the job is still running when it attests.
        provenant_factsSource: "oidc-token",
      },
    });
  });

  it("records a GitHub pull request build on a self-hosted agent, read by the source convention", () => {
    const fields = azurePipelinesProvenance(githubPullRequest);
    expect(fields.runDetails.builder.id).toBe("https://dev.azure.com/acme/_agents/self-hosted");
    expect(fields.buildDefinition.internalParameters).toMatchObject({ reason: "PullRequest", repositoryProvider: "GitHub", agent: { hosted: false } });
    expect(fields.buildDefinition.externalParameters).not.toHaveProperty("templateParameters");
    expect(fields.runDetails.metadata).toMatchObject({ provenant_factsSource: "environment" });
    expect(fields.buildDefinition.internalParameters).not.toHaveProperty("idTokenIssuer");
    expect(fields.runDetails.metadata).not.toHaveProperty("startedOn");
    const provenance = parseProvenance({ ...fields });
    expect(sourceOf(provenance)).toEqual({
      uri: "https://github.com/acme/payments-api",
      repository: "github.com/acme/payments-api",
      ref: "refs/pull/17/merge",
      commit: "9fceb02d0ae598e95dc970b74767f19372d61af8",
    });
  });

  it("counts a pool of unknown kind as self-hosted in the builder id, records no pool kind, and reads a tag from a manual build", () => {
    const fields = azurePipelinesProvenance(manualTagBuild);
    expect(fields.runDetails.builder.id).toBe("https://dev.azure.com/acme/_agents/self-hosted");
    expect(fields.buildDefinition.internalParameters).toMatchObject({ reason: "Manual", agent: { name: "Azure Pipelines 1" } });
    expect((fields.buildDefinition.internalParameters as { agent: object }).agent).not.toHaveProperty("hosted");
    expect(fields.buildDefinition.externalParameters).not.toHaveProperty("templateParameters");
    const source = sourceOf(parseProvenance(fields));
    expect(source).toMatchObject({ tag: "v2.4.0", repository: "dev.azure.com/acme/payments%20platform/_git/payments-api" });
    expect(fields.runDetails.metadata?.invocationId).toBe("https://dev.azure.com/acme/Payments%20Platform/_build/results?buildId=1300");
  });
});
