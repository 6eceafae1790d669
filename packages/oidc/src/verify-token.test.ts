import { isProvenantError } from "@provenant/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestIssuer, type TestIssuer } from "./testing.js";
import { discoverJwksUri, verifyIdToken } from "./verify-token.js";

let issuer: TestIssuer;
let jenkinsLike: TestIssuer;
beforeAll(async () => {
  issuer = await startTestIssuer();
  // Jenkins' OIDC provider serves its issuer under <JENKINS_URL>oidc.
  jenkinsLike = await startTestIssuer({ pathPrefix: "/jenkins/oidc" });
});
afterAll(async () => {
  await issuer.close();
  await jenkinsLike.close();
});

async function rejection(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isProvenantError(error)).toBe(true);
  return error as { code: string; message: string };
}

describe("verifyIdToken", () => {
  it("returns the claims of a token signed by the issuer's key", async () => {
    const token = await issuer.sign({ sub: "repo:acme/app:ref:refs/heads/main", sha: "a".repeat(40) });
    const claims = await verifyIdToken(token, { issuer: issuer.issuer, audience: "provenant", requiredClaims: ["sha"] });
    expect(claims.sub).toBe("repo:acme/app:ref:refs/heads/main");
    expect(claims.sha).toBe("a".repeat(40));
  });

  it("finds keys through discovery under a path prefix", async () => {
    const token = await jenkinsLike.sign({ build_number: 7 });
    const claims = await verifyIdToken(token, { issuer: jenkinsLike.issuer, audience: "provenant" });
    expect(claims.build_number).toBe(7);
    expect(jenkinsLike.requests.map((r) => r.path)).toContain("/jenkins/oidc/.well-known/openid-configuration");
  });

  it("refuses an expired token", async () => {
    const token = await issuer.sign({}, { expiresInSeconds: -3600 });
    const error = await rejection(verifyIdToken(token, { issuer: issuer.issuer, audience: "provenant" }));
    expect(error.code).toBe("TOKEN_INVALID");
    expect(error.message).toMatch(/expired/);
  });

  it("refuses a token for another audience", async () => {
    const token = await issuer.sign({}, { audience: "somebody-else" });
    const error = await rejection(verifyIdToken(token, { issuer: issuer.issuer, audience: "provenant" }));
    expect(error.code).toBe("TOKEN_INVALID");
    expect(error.message).toMatch(/audience/);
  });

  it("refuses a token naming another issuer", async () => {
    const token = await issuer.sign({ iss: "https://evil.example" });
    const error = await rejection(verifyIdToken(token, { issuer: issuer.issuer, audience: "provenant" }));
    expect(error.message).toMatch(/issuer/);
  });

  it("refuses a token signed by a key the JWKS does not hold", async () => {
    const token = await issuer.sign({}, { otherKey: true });
    const error = await rejection(verifyIdToken(token, { issuer: issuer.issuer, audience: "provenant" }));
    expect(error.code).toBe("TOKEN_INVALID");
    expect(error.message).toMatch(/signature/);
  });

  it("refuses alg none before fetching anything", async () => {
    const token = await issuer.sign({}, { alg: "none" });
    const error = await rejection(verifyIdToken(token, { issuer: issuer.issuer, audience: "provenant" }));
    expect(error.message).toMatch(/alg none/);
  });

  it("names a missing required claim", async () => {
    const token = await issuer.sign({ sha: "b".repeat(40) });
    const error = await rejection(
      verifyIdToken(token, { issuer: issuer.issuer, audience: "provenant", requiredClaims: ["sha", "run_id"] }),
    );
    expect(error.code).toBe("PLATFORM_FACTS_MISSING");
    expect(error.message).toContain('"run_id"');
  });

  it("refuses garbage", async () => {
    const error = await rejection(verifyIdToken("not-a-token", { issuer: issuer.issuer, audience: "provenant" }));
    expect(error.code).toBe("TOKEN_INVALID");
  });

  it("serves tokens from a GitHub-style token endpoint only with the request token", async () => {
    issuer.setTokenEndpointClaims({ repository: "acme/app" });
    const denied = await fetch(`${issuer.tokenUrl}&audience=x`);
    expect(denied.status).toBe(401);
    const response = await fetch(`${issuer.tokenUrl}&audience=sigstore`, {
      headers: { authorization: `Bearer ${issuer.requestToken}` },
    });
    const { value } = (await response.json()) as { value: string };
    const claims = await verifyIdToken(value, { issuer: issuer.issuer, audience: "sigstore" });
    expect(claims.repository).toBe("acme/app");
  });
});

describe("an issuer that cannot be reached", () => {
  it("is TOKEN_UNAVAILABLE, not TOKEN_INVALID: the token was never judged", async () => {
    const { createServer } = await import("node:net");
    // A port that was free a moment ago: nothing listens, the connection is refused.
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, "127.0.0.1", () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    await expect(discoverJwksUri(`http://127.0.0.1:${port}`)).rejects.toMatchObject({ code: "TOKEN_UNAVAILABLE" });
  });
});
