import { createPublicKey } from "node:crypto";
import { BUILD_TYPES, FACTS_SOURCE_FIELD, generateKeyPair, keySigner, privateKeyFromPem, type Signer, verify } from "@provenant/core";
import { startTestIssuer, type TestIssuer } from "@provenant/oidc/testing";
import { generateKeyPair as joseKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SigningConfig } from "./config.js";
import { cachingFetch } from "./job-token.js";
import { windowRateLimiter } from "./rate-limit.js";
import { memoryReplayStore } from "./replay.js";
import { type SigningDeps, signingDepsWithDefaults, signProvenance } from "./sign-provenance.js";
import { JOB_COMMIT, gitlabJobClaims } from "../test-support/job-claims.js";

const NOW = new Date("2026-12-01T12:00:00Z");
const nowSeconds = NOW.getTime() / 1000;
const AUDIENCE = "https://vault.example.com";
const SHA = JOB_COMMIT;
const DIGEST = "a".repeat(64);
const subjects = [{ name: "app.tgz", digest: { sha256: DIGEST } }];
const times = { iat: nowSeconds - 10, nbf: nowSeconds - 10, exp: nowSeconds + 290 };

// GitHub Actions' documented ID token claims (docs: "About security hardening with OpenID Connect").
function githubClaims(overrides: Record<string, unknown> = {}) {
  return {
    sub: "repo:acme/app:ref:refs/heads/main",
    ref: "refs/heads/main",
    ref_type: "branch",
    sha: SHA,
    repository: "acme/app",
    repository_owner: "acme",
    repository_id: "123",
    repository_owner_id: "456",
    repository_visibility: "private",
    actor: "octocat",
    actor_id: "583231",
    workflow: "release",
    workflow_ref: "acme/app/.github/workflows/release.yml@refs/heads/main",
    workflow_sha: SHA,
    job_workflow_ref: "acme/builders/.github/workflows/build.yml@refs/tags/v1",
    job_workflow_sha: "b".repeat(40),
    event_name: "push",
    run_id: "7543891234",
    run_number: "42",
    run_attempt: "1",
    runner_environment: "github-hosted",
    ...times,
    ...overrides,
  };
}

// GitLab's documented id_tokens claims, shared with the route test.
function gitlabClaims(host: string, overrides: Record<string, unknown> = {}) {
  return gitlabJobClaims(host, { ...times, ...overrides });
}

let github: TestIssuer;
let gitlab: TestIssuer;
let untrusted: TestIssuer;
const serviceKey = privateKeyFromPem(generateKeyPair("ecdsa-p256").privateKeyPem);
let signed = 0;
const signer: Signer = (() => {
  const inner = keySigner(serviceKey);
  return {
    keyId: inner.keyId,
    sign: (data) => {
      signed++;
      return inner.sign(data);
    },
  };
})();

beforeAll(async () => {
  [github, gitlab, untrusted] = await Promise.all([
    startTestIssuer({ defaultAudience: AUDIENCE }),
    startTestIssuer({ defaultAudience: AUDIENCE, jwksPath: "/oauth/discovery/keys" }),
    startTestIssuer({ defaultAudience: AUDIENCE }),
  ]);
});
afterAll(async () => {
  await Promise.all([github.close(), gitlab.close(), untrusted.close()]);
});

function config(overrides: Partial<SigningConfig["trustedIssuers"][number]> = {}): SigningConfig {
  return {
    trustedIssuers: [
      {
        issuer: github.issuer,
        platform: "github",
        audiences: [AUDIENCE],
        serverUrl: "https://github.com",
        repositories: ["acme/*"],
        builders: ["acme/builders/.github/workflows/build.yml@refs/tags/v1"],
        ...overrides,
      },
      { issuer: gitlab.issuer, platform: "gitlab", audiences: [AUDIENCE], repositories: ["acme/**"] },
    ],
    limits: { maxSubjects: 3 },
  };
}

function deps(overrides: Partial<SigningDeps> = {}): SigningDeps {
  return signingDepsWithDefaults({ config: config(), signer, clock: () => NOW, ...overrides });
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  const before = signed;
  const code = await promise.then(
    () => "accepted",
    (error: { code?: string }) => error.code ?? String(error),
  );
  expect(signed, "nothing is signed on a refusal").toBe(before);
  return code;
}

describe("signProvenance: accepted tokens", () => {
  it("signs GitHub provenance built from the token's claims alone, verifiable as L3 with the service key", async () => {
    const token = await github.sign(githubClaims());
    const result = await signProvenance({ token, subjects }, deps());
    expect(result.identity).toEqual({ repository: "acme/app", builder: "acme/builders/.github/workflows/build.yml@refs/tags/v1", builderSha: "b".repeat(40) });
    expect(result.provenance.buildDefinition.buildType).toBe(BUILD_TYPES.github);
    expect(result.provenance.runDetails.builder.id).toBe("https://github.com/acme/builders/.github/workflows/build.yml@refs/tags/v1");
    expect(result.provenance.runDetails.metadata?.[FACTS_SOURCE_FIELD]).toBe("service-oidc-token");
    const report = verify(result.bundle, {
      trustedKeys: [],
      serviceKeys: [{ publicKey: createPublicKey(serviceKey) }],
      artifactDigests: [{ sha256: DIGEST }],
      policy: { sourceUri: "github.com/acme/app", minimumLevel: 3 },
    });
    expect(report.verified).toBe(true);
    expect(report.slsaLevel.level).toBe(3);
  });

  it("signs GitLab provenance with the hosted runner as builder; a self-managed runner verifies as L2", async () => {
    const host = new URL(gitlab.issuer).host;
    const hosted = await signProvenance({ token: await gitlab.sign(gitlabClaims(host)), subjects }, deps());
    expect(hosted.identity.repository).toBe("acme/app");
    expect(hosted.provenance.runDetails.builder.id).toBe(`${gitlab.issuer}/-/runners/gitlab-hosted`);
    const selfManaged = await signProvenance({ token: await gitlab.sign(gitlabClaims(host, { runner_environment: "self-hosted" })), subjects }, deps());
    const options = { trustedKeys: [], serviceKeys: [{ publicKey: createPublicKey(serviceKey) }], artifactDigests: [{ sha256: DIGEST }] };
    expect(verify(hosted.bundle, options).slsaLevel.level).toBe(3);
    expect(verify(selfManaged.bundle, options).slsaLevel.level).toBe(2);
  });
});

describe("signProvenance: refusals, each with its own code, nothing signed", () => {
  it("refuses a token of an issuer it does not trust", async () => {
    expect(await refusal(signProvenance({ token: await untrusted.sign(githubClaims()), subjects }, deps()))).toBe("TOKEN_UNTRUSTED_ISSUER");
  });

  it("refuses another audience", async () => {
    expect(await refusal(signProvenance({ token: await github.sign(githubClaims(), { audience: "sigstore" }), subjects }, deps()))).toBe("TOKEN_AUDIENCE");
  });

  it("refuses an expired token, and one not yet valid, beyond the skew", async () => {
    const expired = await github.sign(githubClaims({ iat: nowSeconds - 600, nbf: nowSeconds - 600, exp: nowSeconds - 60 }));
    expect(await refusal(signProvenance({ token: expired, subjects }, deps()))).toBe("TOKEN_EXPIRED");
    const early = await github.sign(githubClaims({ iat: nowSeconds, nbf: nowSeconds + 120, exp: nowSeconds + 600 }));
    expect(await refusal(signProvenance({ token: early, subjects }, deps()))).toBe("TOKEN_NOT_YET_VALID");
    // Within the 30 s skew: accepted.
    const skewed = await github.sign(githubClaims({ iat: nowSeconds + 10, nbf: nowSeconds + 10, exp: nowSeconds + 600 }));
    expect(await signProvenance({ token: skewed, subjects }, deps())).toHaveProperty("bundle");
  });

  it("refuses alg none and HS256 signed with the issuer's public key", async () => {
    expect(await refusal(signProvenance({ token: await github.sign(githubClaims(), { alg: "none" }), subjects }, deps()))).toBe("TOKEN_ALG_NONE");
    const jwks = (await (await fetch(github.jwksUri)).json()) as { keys: Record<string, unknown>[] };
    const publicPem = createPublicKey({ key: jwks.keys[0] as never, format: "jwk" }).export({ type: "spki", format: "pem" });
    const hs256 = await new SignJWT({ ...githubClaims(), iss: github.issuer, aud: AUDIENCE, jti: "hs" })
      .setProtectedHeader({ alg: "HS256", kid: String(jwks.keys[0]!.kid) })
      .sign(Buffer.from(publicPem));
    expect(await refusal(signProvenance({ token: hs256, subjects }, deps()))).toBe("TOKEN_ALG_NOT_ALLOWED");
  });

  it("refuses a token signed under a kid the issuer does not publish", async () => {
    const { privateKey } = await joseKeyPair("RS256");
    const token = await new SignJWT({ ...githubClaims(), iss: github.issuer, aud: AUDIENCE, jti: "kid" })
      .setProtectedHeader({ alg: "RS256", kid: "not-published" })
      .sign(privateKey);
    expect(await refusal(signProvenance({ token, subjects }, deps()))).toBe("TOKEN_UNKNOWN_KID");
  });

  it("refuses a repository the issuer may not sign for, and a builder not pinned", async () => {
    const other = await github.sign(githubClaims({ repository: "evil/app", workflow_ref: "evil/app/.github/workflows/release.yml@refs/heads/main" }));
    expect(await refusal(signProvenance({ token: other, subjects }, deps()))).toBe("REPOSITORY_NOT_ALLOWED");
    const ownWorkflow = await github.sign(githubClaims({ job_workflow_ref: "acme/app/.github/workflows/release.yml@refs/heads/main" }));
    expect(await refusal(signProvenance({ token: ownWorkflow, subjects }, deps()))).toBe("BUILDER_NOT_ALLOWED");
    const pinnedSha = deps({ config: config({ builderShas: ["c".repeat(40)] }) });
    expect(await refusal(signProvenance({ token: await github.sign(githubClaims()), subjects }, pinnedSha))).toBe("BUILDER_NOT_ALLOWED");
  });

  it("accepts a token once: the same jti again is a replay until it expires", async () => {
    const shared = deps();
    const token = await github.sign(githubClaims());
    await signProvenance({ token, subjects }, shared);
    expect(await refusal(signProvenance({ token, subjects }, shared))).toBe("TOKEN_REPLAYED");
  });

  it("forgets a token id after it expired (the store does not grow without end)", async () => {
    let now = NOW;
    const replay = memoryReplayStore(() => now);
    expect(await replay.remember("a", nowSeconds + 60)).toBe(true);
    expect(await replay.remember("a", nowSeconds + 60)).toBe(false);
    now = new Date(NOW.getTime() + 61_000);
    expect(await replay.remember("a", nowSeconds + 200)).toBe(true);
  });

  it("refuses oversized subject lists before looking at the token", async () => {
    const many = Array.from({ length: 4 }, (_, i) => ({ name: `f${i}`, digest: { sha256: DIGEST } }));
    expect(await refusal(signProvenance({ token: "not even a token", subjects: many }, deps()))).toBe("TOO_MANY_SUBJECTS");
    expect(await refusal(signProvenance({ token: "x", subjects: [{ name: "a", digest: { sha256: "zz" } }] }, deps()))).toBe("INVALID_DIGEST");
  });

  it("rate-limits per issuer and repository on the injected clock", async () => {
    let now = NOW;
    const limited = deps({ rateLimiter: windowRateLimiter({ limit: 1, windowSeconds: 60, clock: () => now }) });
    await signProvenance({ token: await github.sign(githubClaims()), subjects }, limited);
    expect(await refusal(signProvenance({ token: await github.sign(githubClaims()), subjects }, limited))).toBe("RATE_LIMITED");
    now = new Date(NOW.getTime() + 60_000);
    const later = await github.sign(githubClaims({ iat: nowSeconds + 50, nbf: nowSeconds + 50, exp: nowSeconds + 400 }));
    expect(await signProvenance({ token: later, subjects }, { ...limited, clock: () => now })).toHaveProperty("bundle");
  });
});

describe("cachingFetch", () => {
  it("fetches discovery and JWKS once per TTL", async () => {
    const before = github.requests.length;
    let now = NOW;
    const fetcher = cachingFetch(globalThis.fetch, { ttlSeconds: 300, clock: () => now });
    const shared = deps({ fetch: fetcher });
    await signProvenance({ token: await github.sign(githubClaims()), subjects }, shared);
    await signProvenance({ token: await github.sign(githubClaims()), subjects }, shared);
    expect(github.requests.length - before).toBe(2);
    now = new Date(NOW.getTime() + 301_000);
    await signProvenance({ token: await github.sign(githubClaims({ iat: nowSeconds + 300, nbf: nowSeconds + 300, exp: nowSeconds + 600 })), subjects }, { ...shared, clock: () => now });
    expect(github.requests.length - before).toBe(4);
  });
});

