import { createPublicKey } from "node:crypto";
import { BUILD_TYPES, FACTS_SOURCE_FIELD, generateKeyPair, keySigner, PLATFORM_HARDENED_FIELD, privateKeyFromPem, verify } from "@provenant/core";
import { startTestIssuer, type TestIssuer } from "@provenant/oidc/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseSigningConfig, type SigningConfig, type TrustedIssuer } from "./config.js";
import { type SigningDeps, signingDepsWithDefaults, signProvenance } from "./sign-provenance.js";

// The signing service for Jenkins: a local issuer served under /oidc, as the
// OIDC Provider plugin serves a controller's (<JENKINS_URL>oidc), signing the
// claims the plugin's default templates and docs/buildtypes/jenkins-v1.md's
// build claim templates give a multibranch branch build.
const NOW = new Date("2026-12-01T12:00:00Z");
const nowSeconds = NOW.getTime() / 1000;
const AUDIENCE = "https://vault.example.com";
const COMMIT = "4a1c9e2f0b8d7c6e5f4a3b2c1d0e9f8a7b6c5d4e";
const DIGEST = "a".repeat(64);
const subjects = [{ name: "app.tgz", digest: { sha256: DIGEST } }];

let controller: TestIssuer;
let controllerUrl: string;
const serviceKey = privateKeyFromPem(generateKeyPair("ecdsa-p256").privateKeyPem);

beforeAll(async () => {
  controller = await startTestIssuer({ pathPrefix: "/oidc", defaultAudience: AUDIENCE });
  controllerUrl = `${controller.url}/`;
});
afterAll(() => controller.close());

function jenkinsClaims(overrides: Record<string, unknown> = {}) {
  return {
    sub: `${controllerUrl}job/acme/job/app/job/main/`,
    build_number: 42,
    git_url: "https://github.com/acme/app.git",
    git_commit: COMMIT,
    branch_name: "main",
    git_branch: "main",
    provenant_ref_claims: "tag_name change_id branch_name git_branch",
    iat: nowSeconds - 10,
    nbf: nowSeconds - 10,
    exp: nowSeconds + 290,
    ...overrides,
  };
}

function deps(issuer: Partial<TrustedIssuer> = {}): SigningDeps {
  const config: SigningConfig = {
    trustedIssuers: [{ issuer: controller.issuer, platform: "jenkins", audiences: [AUDIENCE], repositories: ["acme/**"], ...issuer }],
  };
  return signingDepsWithDefaults({ config, signer: keySigner(serviceKey), clock: () => NOW });
}

const asService = { trustedKeys: [], serviceKeys: [{ publicKey: createPublicKey(serviceKey) }], artifactDigests: [{ sha256: DIGEST }] };

async function refusal(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => "accepted",
    (error: { code?: string }) => error.code ?? String(error),
  );
}

describe("signProvenance: Jenkins", () => {
  it("builds the provenance from the controller's token, with the job as identity and the controller as builder; L2 by default", async () => {
    const result = await signProvenance({ token: await controller.sign(jenkinsClaims()), subjects }, deps());
    expect(result.identity).toEqual({ repository: "acme/app/main", builder: controllerUrl });
    expect(result.provenance.buildDefinition.buildType).toBe(BUILD_TYPES.jenkins);
    expect(result.provenance.buildDefinition.resolvedDependencies?.[0]).toEqual({ uri: "git+https://github.com/acme/app@refs/heads/main", digest: { gitCommit: COMMIT } });
    expect(result.provenance.runDetails.builder.id).toBe(controllerUrl);
    expect(result.provenance.runDetails.metadata).toMatchObject({ invocationId: `${controllerUrl}job/acme/job/app/job/main/42/`, [FACTS_SOURCE_FIELD]: "service-oidc-token" });
    expect(result.provenance.runDetails.metadata).not.toHaveProperty(PLATFORM_HARDENED_FIELD);
    const report = verify(result.bundle, { ...asService, policy: { builderId: controllerUrl, sourceUri: "github.com/acme/app", sourceBranch: "main" } });
    expect(report.verified).toBe(true);
    expect(report.slsaLevel).toMatchObject({ level: 2, reason: expect.stringContaining("did not declare it hardened") });
  });

  it("records the operator's hardened declaration, which verifies as L3 under the service key", async () => {
    const result = await signProvenance({ token: await controller.sign(jenkinsClaims()), subjects }, deps({ hardened: true, builders: [controllerUrl] }));
    expect(result.provenance.runDetails.metadata?.[PLATFORM_HARDENED_FIELD]).toBe(true);
    const report = verify(result.bundle, { ...asService, policy: { builderId: controllerUrl, minimumLevel: 3, sourceUri: "github.com/acme/app" } });
    expect(report.verified).toBe(true);
    expect(report.slsaLevel.level).toBe(3);
  });

  it("refuses a job the issuer may not sign for, and another controller than the pinned one", async () => {
    const other = jenkinsClaims({ sub: `${controllerUrl}job/other/job/app/` });
    expect(await refusal(signProvenance({ token: await controller.sign(other), subjects }, deps()))).toBe("REPOSITORY_NOT_ALLOWED");
    const pinned = deps({ builders: ["https://ci.example.com/"] });
    expect(await refusal(signProvenance({ token: await controller.sign(jenkinsClaims()), subjects }, pinned))).toBe("BUILDER_NOT_ALLOWED");
  });

  it("refuses a token for a job of another controller, and one outside its folder issuer's folder", async () => {
    const elsewhere = jenkinsClaims({ sub: "https://ci.example.com/job/acme/job/app/job/main/" });
    expect(await refusal(signProvenance({ token: await controller.sign(elsewhere), subjects }, deps()))).toBe("TOKEN_INVALID");
    const folder = `${controller.issuer}/job/acme`;
    const outside = jenkinsClaims({ iss: folder, sub: `${controllerUrl}job/other/job/app/` });
    const folderDeps = deps({ issuer: folder, jwksUri: controller.jwksUri, repositories: ["**"] });
    expect(await refusal(signProvenance({ token: await controller.sign(outside), subjects }, folderDeps))).toBe("TOKEN_INVALID");
    const inside = jenkinsClaims({ iss: folder });
    expect((await signProvenance({ token: await controller.sign(inside), subjects }, folderDeps)).identity.repository).toBe("acme/app/main");
  });

  it("refuses a token without the checkout claims: the service has nothing else to take them from", async () => {
    const { git_url, git_commit, ...bare } = jenkinsClaims();
    expect(await refusal(signProvenance({ token: await controller.sign(bare), subjects }, deps()))).toBe("PLATFORM_FACTS_MISSING");
  });

  it("accepts hardened only on Jenkins issuers", () => {
    const issuer = { issuer: "https://gitlab.example.com", platform: "gitlab", audiences: [AUDIENCE], repositories: ["acme/*"], hardened: true };
    expect(() => parseSigningConfig({ trustedIssuers: [issuer] })).toThrow(expect.objectContaining({ code: "USAGE", message: expect.stringContaining("signing.trustedIssuers.0.hardened") }));
    expect(parseSigningConfig({ trustedIssuers: [{ ...issuer, platform: "jenkins" }] }).trustedIssuers[0]?.hardened).toBe(true);
  });
});
