import { createPublicKey } from "node:crypto";
import { BUILD_TYPES, FACTS_SOURCE_FIELD, generateKeyPair, keySigner, privateKeyFromPem, verify } from "@provenant/core";
import { startTestIssuer, type TestIssuer } from "@provenant/oidc/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SigningConfig, TrustedIssuer } from "./config.js";
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
function vstokenFetch(): typeof globalThis.fetch {
  const jwksUrl = "https://vstoken.dev.azure.com/.well-known/jwks";
  return (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    if (url === `${VSTOKEN}/.well-known/openid-configuration`) {
      const document = { issuer: VSTOKEN, jwks_uri: jwksUrl, response_types_supported: ["id_token"], subject_types_supported: ["public"], id_token_signing_alg_values_supported: ["RS256"] };
      return new Response(JSON.stringify(document), { headers: { "content-type": "application/json" } });
    }
    if (url === jwksUrl) return globalThis.fetch(issuer.jwksUri);
    return globalThis.fetch(input, init);
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

function deps(trusted: TrustedIssuer = azureIssuer()): SigningDeps {
  const config: SigningConfig = { trustedIssuers: [trusted] };
  return signingDepsWithDefaults({ config, signer: keySigner(serviceKey), clock: () => NOW, fetch: vstokenFetch() });
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
    expect(report.slsaLevel).toEqual({ level: 2, reason: expect.stringMatching(/signing service.*self-hosted Azure Pipelines agent/) });
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
