import { type CollectContext, FACTS_SOURCE_FIELD } from "@provenant/core";
import { startTestIssuer, type TestIssuer } from "@provenant/oidc/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { azurePipelinesProvenance } from "../provenance/provenance.js";
import { AZURE_REPOS_CI_ENV, pipelineClaims } from "../test-fixtures/variables.js";
import { vstokenDiscovery } from "../test-fixtures/vstoken.js";
import { collectAzurePipelinesFacts } from "./collect.js";
import { factsFromPipelineClaims, pipelineSubjectOf } from "./from-claims.js";
import { AZURE_TOKEN_AUDIENCE, azureTokenIssuer } from "./token.js";

const VSTOKEN_ISSUER = azureTokenIssuer(AZURE_REPOS_CI_ENV.SYSTEM_COLLECTIONID);
const CLAIMS = pipelineClaims(AZURE_REPOS_CI_ENV);

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await startTestIssuer({ defaultAudience: AZURE_TOKEN_AUDIENCE });
});
afterAll(async () => {
  await issuer.close();
});

/**
 * The local path in a job whose variables say no more than the token does
 * (plus the names the token's sub carries): what the signing service can
 * know. The token comes in a variable, so no access token and no Build API.
 */
async function localProvenance(token: string) {
  const env = {
    TF_BUILD: "True",
    SYSTEM_COLLECTIONURI: AZURE_REPOS_CI_ENV.SYSTEM_COLLECTIONURI,
    SYSTEM_COLLECTIONID: AZURE_REPOS_CI_ENV.SYSTEM_COLLECTIONID,
    SYSTEM_TEAMPROJECT: AZURE_REPOS_CI_ENV.SYSTEM_TEAMPROJECT,
    BUILD_DEFINITIONNAME: AZURE_REPOS_CI_ENV.BUILD_DEFINITIONNAME,
    PIPELINE_ID_TOKEN: token,
  };
  const context: CollectContext = {
    env,
    cwd: process.cwd(),
    fetch: vstokenDiscovery(VSTOKEN_ISSUER, issuer.jwksUri),
    warn: () => {},
    now: () => new Date(),
    options: { tokenVariable: "PIPELINE_ID_TOKEN" },
  };
  return azurePipelinesProvenance(await collectAzurePipelinesFacts(context));
}

describe("factsFromPipelineClaims", () => {
  it("writes the same buildDefinition and runDetails from the claims alone as the local path does from the same token", async () => {
    const token = await issuer.sign(CLAIMS);
    const local = await localProvenance(token);
    const fromClaims = azurePipelinesProvenance(factsFromPipelineClaims(CLAIMS, { issuer: VSTOKEN_ISSUER }));
    expect(fromClaims).toEqual(local);
    expect(fromClaims.runDetails.metadata?.[FACTS_SOURCE_FIELD]).toBe("oidc-token");
    expect(fromClaims.buildDefinition.resolvedDependencies?.[0]).toEqual({
      uri: "git+https://dev.azure.com/acme/Payments%20Platform/_git/payments-api@refs/heads/main",
      digest: { gitCommit: AZURE_REPOS_CI_ENV.BUILD_SOURCEVERSION },
    });
    expect(fromClaims.runDetails.metadata?.invocationId).toBe("https://dev.azure.com/acme/Payments%20Platform/_build/results?buildId=1234");
  });

  it("never claims a Microsoft-hosted pool: the token does not say which pool ran the job", () => {
    const facts = factsFromPipelineClaims(CLAIMS, { issuer: VSTOKEN_ISSUER });
    const provenance = azurePipelinesProvenance(facts);
    expect(facts.agent.hosted).toBeUndefined();
    expect(provenance.runDetails.builder.id).toBe("https://dev.azure.com/acme/_agents/self-hosted");
    expect((provenance.buildDefinition.internalParameters as { agent: unknown }).agent).toEqual({});
    // What only variables or the Build API would add is absent, not guessed.
    for (const field of ["buildNumber", "reason", "requestedFor", "repositoryProvider", "job", "definitionRevision"]) {
      expect(provenance.buildDefinition.internalParameters).not.toHaveProperty(field);
    }
    expect(provenance.runDetails.metadata).not.toHaveProperty("startedOn");
  });

  it("takes the legacy visualstudio.com collection URI when configured, for the same organization only", () => {
    const facts = factsFromPipelineClaims(CLAIMS, { issuer: VSTOKEN_ISSUER, collectionUri: "https://acme.visualstudio.com" });
    expect(facts.collectionUri).toBe("https://acme.visualstudio.com/");
    expect(() => factsFromPipelineClaims(CLAIMS, { issuer: VSTOKEN_ISSUER, collectionUri: "https://dev.azure.com/contoso/" })).toThrow(
      expect.objectContaining({ code: "TOKEN_INVALID", message: expect.stringMatching(/issued to organization acme/) }),
    );
    expect(() => factsFromPipelineClaims(CLAIMS, { issuer: VSTOKEN_ISSUER, collectionUri: "https://tfs.example/acme/" })).toThrow(
      expect.objectContaining({ code: "USAGE" }),
    );
  });

  it("refuses a service connection's token, a missing claim and a commit that is not one", () => {
    const refused = (claims: Record<string, unknown>) => {
      try {
        factsFromPipelineClaims(claims, { issuer: VSTOKEN_ISSUER });
        return "accepted";
      } catch (error) {
        return `${(error as { code: string }).code}: ${(error as Error).message}`;
      }
    };
    expect(refused({ ...CLAIMS, sub: "sc://acme/Payments Platform/prod-arm" })).toMatch(/^PLATFORM_FACTS_MISSING: .*expected p:\/\/<organization>/);
    const { rpo_ver: _commit, ...noCommit } = CLAIMS;
    expect(refused(noCommit)).toMatch(/^PLATFORM_FACTS_MISSING: .*rpo_ver/);
    expect(refused({ ...CLAIMS, rpo_ver: "main" })).toMatch(/^PLATFORM_FACTS_MISSING: .*rpo_ver is main/);
    expect(refused({ ...CLAIMS, rpo_ref: "main" })).toMatch(/^PLATFORM_FACTS_MISSING: .*full git ref/);
    expect(refused({ ...CLAIMS, org_id: "acme" })).toMatch(/^PLATFORM_FACTS_MISSING: .*org_id is acme/);
  });
});

describe("pipelineSubjectOf", () => {
  it("reads organization, project and pipeline, percent-escapes decoded", () => {
    expect(pipelineSubjectOf("p://acme/Payments%20Platform/payments-api-ci")).toEqual({ organization: "acme", project: "Payments Platform", pipeline: "payments-api-ci" });
    expect(pipelineSubjectOf("p://acme/Payments Platform/ci 100%")).toEqual({ organization: "acme", project: "Payments Platform", pipeline: "ci 100%" });
  });
});
