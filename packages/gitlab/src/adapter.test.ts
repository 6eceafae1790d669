import { type CollectContext, FACTS_SOURCE_FIELD, isProvenantError } from "@provenant/core";
import { startTestIssuer, type TestIssuer } from "@provenant/oidc/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adapter } from "./adapter.js";
import { COMMIT, claimsFor, GITLAB_COM_BRANCH, OTHER_COMMIT } from "./fixtures.js";
import { DISAGREEMENTS_FIELD } from "./provenance.js";

// A real OIDC issuer on 127.0.0.1 stands in for the GitLab instance: it serves
// GitLab's key location (/oauth/discovery/keys) and signs RS256 tokens as GitLab does.
let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await startTestIssuer({ jwksPath: "/oauth/discovery/keys" });
});
afterAll(async () => {
  await issuer.close();
});

/** The gitlab.com fixture moved onto the test issuer's address. */
function jobEnv(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const server = issuer.issuer;
  const { CI_JOB_TOKEN: _jobToken, ...rest } = GITLAB_COM_BRANCH;
  return {
    ...rest,
    CI_SERVER_URL: server,
    CI_API_V4_URL: `${server}/api/v4`,
    CI_PROJECT_URL: `${server}/acme/app`,
    CI_PIPELINE_URL: `${server}/acme/app/-/pipelines/1001`,
    CI_JOB_URL: `${server}/acme/app/-/jobs/5005`,
    ...overrides,
  };
}

function context(env: Record<string, string | undefined>, options: Record<string, string | undefined> = {}) {
  const warnings: string[] = [];
  const ctx: CollectContext = {
    env,
    cwd: process.cwd(),
    fetch: globalThis.fetch,
    warn: (message) => warnings.push(message),
    now: () => new Date(),
    options,
  };
  return { ctx, warnings };
}

async function tokenFor(options: Parameters<TestIssuer["sign"]>[1] = {}, claims = claimsFor(GITLAB_COM_BRANCH)) {
  return issuer.sign(claims, options);
}

async function failure(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isProvenantError(error)).toBe(true);
  return error as { code: string; message: string };
}

describe("GitLab adapter with the job's ID token", () => {
  it("takes facts from a verified token and marks them oidc-token", async () => {
    const { ctx, warnings } = context(jobEnv({ PROVENANT_ID_TOKEN: await tokenFor() }));
    const provenance = await adapter.collect(ctx);
    expect(provenance.runDetails.metadata?.[FACTS_SOURCE_FIELD]).toBe("oidc-token");
    expect(provenance.runDetails.builder.id).toBe(`${issuer.issuer}/-/runners/gitlab-hosted`);
    expect(provenance.buildDefinition.resolvedDependencies?.[0]).toEqual({
      // The source convention records the repository in https form, whatever the instance serves.
      uri: `git+${issuer.issuer.replace(/^http:/, "https:")}/acme/app@refs/heads/main`,
      digest: { gitCommit: COMMIT },
    });
    // Links keep the instance's own scheme.
    expect(provenance.runDetails.metadata?.invocationId).toBe(`${issuer.issuer}/acme/app/-/jobs/5005`);
    expect(warnings).toEqual([]);
    // Discovery first, then the keys it names (GitLab's /oauth/discovery/keys).
    const paths = issuer.requests.map((r) => r.path);
    expect(paths).toContain("/.well-known/openid-configuration");
    expect(paths.indexOf("/oauth/discovery/keys")).toBeGreaterThan(paths.indexOf("/.well-known/openid-configuration"));
  });

  it("lets the token's sha win over CI_COMMIT_SHA, warns, and records it", async () => {
    const { ctx, warnings } = context(jobEnv({ CI_COMMIT_SHA: OTHER_COMMIT, PROVENANT_ID_TOKEN: await tokenFor() }));
    const provenance = await adapter.collect(ctx);
    expect(provenance.buildDefinition.resolvedDependencies?.[0]?.digest?.gitCommit).toBe(COMMIT);
    expect(provenance.runDetails.metadata?.[DISAGREEMENTS_FIELD]).toEqual([
      { variable: "CI_COMMIT_SHA", claim: "sha", variableValue: OTHER_COMMIT, claimValue: COMMIT },
    ]);
    expect(warnings).toHaveLength(1);
    // Both values, and which one the provenance holds.
    expect(warnings[0]).toContain(`CI_COMMIT_SHA is ${OTHER_COMMIT}`);
    expect(warnings[0]).toContain(`token's sha is ${COMMIT}`);
    expect(warnings[0]).toContain(`${COMMIT} was used`);
  });

  it("reads the token from --token-variable with --token-audience", async () => {
    const token = await tokenFor({ audience: "https://provenant.acme.example" });
    const { ctx } = context(jobEnv({ SIGSTORE_ID_TOKEN: token }), {
      tokenVariable: "SIGSTORE_ID_TOKEN",
      tokenAudience: "https://provenant.acme.example",
    });
    const provenance = await adapter.collect(ctx);
    expect(provenance.runDetails.metadata?.[FACTS_SOURCE_FIELD]).toBe("oidc-token");
  });

  it("refuses a token signed by another key", async () => {
    const { ctx } = context(jobEnv({ PROVENANT_ID_TOKEN: await tokenFor({ otherKey: true }) }));
    const error = await failure(adapter.collect(ctx));
    expect(error.code).toBe("TOKEN_INVALID");
    expect(error.message).toMatch(/signature/);
  });

  it("refuses an expired token", async () => {
    const { ctx } = context(jobEnv({ PROVENANT_ID_TOKEN: await tokenFor({ expiresInSeconds: -600 }) }));
    const error = await failure(adapter.collect(ctx));
    expect(error.code).toBe("TOKEN_INVALID");
    expect(error.message).toMatch(/expired/);
  });

  it("refuses a token for another audience", async () => {
    const { ctx } = context(jobEnv({ PROVENANT_ID_TOKEN: await tokenFor({ audience: "vault" }) }));
    const error = await failure(adapter.collect(ctx));
    expect(error.code).toBe("TOKEN_INVALID");
    expect(error.message).toMatch(/audience/);
  });

  it("refuses a token from an instance other than CI_SERVER_URL", async () => {
    const other = await startTestIssuer();
    try {
      const { ctx } = context(jobEnv({ PROVENANT_ID_TOKEN: await other.sign(claimsFor(GITLAB_COM_BRANCH)) }));
      const error = await failure(adapter.collect(ctx));
      expect(error.code).toBe("TOKEN_INVALID");
    } finally {
      await other.close();
    }
  });

  it("names a claim the token lacks", async () => {
    const { sha: _, ...withoutSha } = claimsFor(GITLAB_COM_BRANCH);
    const { ctx } = context(jobEnv({ PROVENANT_ID_TOKEN: await tokenFor({}, withoutSha) }));
    const error = await failure(adapter.collect(ctx));
    expect(error.code).toBe("PLATFORM_FACTS_MISSING");
    expect(error.message).toMatch(/"sha"/);
  });

  it("refuses a token whose claims have the wrong shape", async () => {
    const claims = { ...claimsFor(GITLAB_COM_BRANCH), ref_type: "commit" };
    const { ctx } = context(jobEnv({ PROVENANT_ID_TOKEN: await tokenFor({}, claims) }));
    const error = await failure(adapter.collect(ctx));
    expect(error.code).toBe("TOKEN_INVALID");
    expect(error.message).toMatch(/ref_type/);
  });
});

describe("GitLab adapter without a token", () => {
  it("falls back to variables, marks them environment and says why", async () => {
    const { ctx, warnings } = context(jobEnv());
    const provenance = await adapter.collect(ctx);
    expect(provenance.runDetails.metadata?.[FACTS_SOURCE_FIELD]).toBe("environment");
    expect(provenance.runDetails.builder.id).toBe(`${issuer.issuer}/-/runners/self-hosted`);
    expect(warnings.join("\n")).toMatch(/no ID token in PROVENANT_ID_TOKEN.*L1/);
  });

  it("fails when --token-variable names an empty variable", async () => {
    const { ctx } = context(jobEnv(), { tokenVariable: "MY_TOKEN" });
    const error = await failure(adapter.collect(ctx));
    expect(error.code).toBe("PLATFORM_FACTS_MISSING");
    expect(error.message).toMatch(/MY_TOKEN/);
  });

  it("rejects a --token-variable that is no variable name", async () => {
    const { ctx } = context(jobEnv(), { tokenVariable: "$(id)" });
    expect((await failure(adapter.collect(ctx))).code).toBe("USAGE");
  });
});

describe("an instance whose ID tokens carry another issuer (ci_id_tokens_issuer_url)", () => {
  // Two loopback issuers: the instance (CI_SERVER_URL) and the issuer its
  // administrators configured, which signs the job's tokens.
  let custom: TestIssuer;
  beforeAll(async () => {
    custom = await startTestIssuer({ jwksPath: "/oauth/discovery/keys" });
  });
  afterAll(async () => {
    await custom.close();
  });

  it("fails without the pinned issuer: the token is not CI_SERVER_URL's", async () => {
    const { ctx } = context(jobEnv({ PROVENANT_GITLAB_API: "false", PROVENANT_ID_TOKEN: await custom.sign(claimsFor(GITLAB_COM_BRANCH)) }));
    expect((await failure(adapter.collect(ctx))).code).toBe("TOKEN_INVALID");
  });

  it("verifies against the issuer given as --token-issuer and records it; builder and links stay the instance's", async () => {
    const { ctx, warnings } = context(
      jobEnv({ PROVENANT_GITLAB_API: "false", PROVENANT_ID_TOKEN: await custom.sign(claimsFor(GITLAB_COM_BRANCH)) }),
      { tokenIssuer: custom.issuer },
    );
    const provenance = await adapter.collect(ctx);
    expect(warnings).toEqual([]);
    expect(provenance.runDetails.metadata?.[FACTS_SOURCE_FIELD]).toBe("oidc-token");
    expect(provenance.buildDefinition.internalParameters?.tokenIssuer).toBe(custom.issuer);
    expect(provenance.buildDefinition.internalParameters?.serverUrl).toBe(issuer.issuer);
    expect(provenance.runDetails.builder.id).toBe(`${issuer.issuer}/-/runners/gitlab-hosted`);
    expect(provenance.runDetails.metadata?.invocationId).toBe(`${issuer.issuer}/acme/app/-/jobs/5005`);
    expect(custom.requests.map((r) => r.path)).toContain("/.well-known/openid-configuration");
  });

  it("refuses a token signed by the instance when another issuer is pinned", async () => {
    const { ctx } = context(jobEnv({ PROVENANT_GITLAB_API: "false", PROVENANT_ID_TOKEN: await tokenFor() }), { tokenIssuer: custom.issuer });
    expect((await failure(adapter.collect(ctx))).code).toBe("TOKEN_INVALID");
  });

  it("refuses an issuer with user information as a usage error", async () => {
    const { ctx } = context(jobEnv({ PROVENANT_ID_TOKEN: await tokenFor() }), { tokenIssuer: "https://user:pw@oidc.gitlab.example" });
    expect((await failure(adapter.collect(ctx))).code).toBe("USAGE");
  });
});
