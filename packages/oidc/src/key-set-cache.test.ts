import { isProvenantError } from "@provenant/core";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { createKeyCache, verifyIdToken } from "./verify-token.js";

// The issuer's JWKS is served by an injected fetch so the test can rotate it
// between verifications; each test uses its own JWKS URL (the cache is by URL).
async function keyPair(kid: string) {
  const pair = await generateKeyPair("ES256");
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid, alg: "ES256", use: "sig" };
  return { privateKey: pair.privateKey, jwk, kid };
}

function servedJwks() {
  let keys: JWK[] = [];
  let fetches = 0;
  const fetcher = (async () => {
    fetches += 1;
    return new Response(JSON.stringify({ keys }), { status: 200, headers: { "content-type": "application/json" } });
  }) as unknown as typeof globalThis.fetch;
  return {
    fetcher,
    serve(next: JWK[]) {
      keys = next;
    },
    get fetches() {
      return fetches;
    },
  };
}

const issuer = "https://issuer.example";

async function sign(key: Awaited<ReturnType<typeof keyPair>>) {
  return new SignJWT({ sub: "repo:acme/app" })
    .setProtectedHeader({ alg: "ES256", kid: key.kid })
    .setIssuer(issuer)
    .setAudience("provenant")
    .setIssuedAt()
    .setExpirationTime("5m")
    .sign(key.privateKey);
}

async function rejection(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isProvenantError(error)).toBe(true);
  return error as { code: string; message: string };
}

describe("verifyIdToken key-set reuse", () => {
  it("verifies repeatedly against one JWKS, fetching it each time (the caller's fetch decides caching)", async () => {
    const a = await keyPair("a");
    const served = servedJwks();
    served.serve([a.jwk]);
    const options = { issuer, audience: "provenant", jwksUri: `${issuer}/jwks-repeat`, fetch: served.fetcher };
    for (let i = 0; i < 3; i += 1) {
      expect((await verifyIdToken(await sign(a), options)).sub).toBe("repo:acme/app");
    }
    expect(served.fetches).toBe(3);
  });

  it("follows a key rotation: a new kid is accepted and a removed key is refused once the JWKS changes", async () => {
    const a = await keyPair("a");
    const b = await keyPair("b");
    const served = servedJwks();
    served.serve([a.jwk]);
    const options = { issuer, audience: "provenant", jwksUri: `${issuer}/jwks-rotate`, fetch: served.fetcher };
    expect((await verifyIdToken(await sign(a), options)).sub).toBe("repo:acme/app");
    // Unknown kid before the issuer publishes it.
    expect((await rejection(verifyIdToken(await sign(b), options))).code).toBe("TOKEN_INVALID");
    served.serve([a.jwk, b.jwk]);
    expect((await verifyIdToken(await sign(b), options)).sub).toBe("repo:acme/app");
    served.serve([b.jwk]);
    const error = await rejection(verifyIdToken(await sign(a), options));
    expect(error.code).toBe("TOKEN_INVALID");
    expect((await verifyIdToken(await sign(b), options)).sub).toBe("repo:acme/app");
  });

  it("refuses a token when the key under its kid is replaced by another key", async () => {
    const original = await keyPair("same");
    const replacement = await keyPair("same");
    const served = servedJwks();
    served.serve([original.jwk]);
    const options = { issuer, audience: "provenant", jwksUri: `${issuer}/jwks-replace`, fetch: served.fetcher };
    expect((await verifyIdToken(await sign(original), options)).sub).toBe("repo:acme/app");
    served.serve([replacement.jwk]);
    expect((await rejection(verifyIdToken(await sign(original), options))).code).toBe("TOKEN_INVALID");
    expect((await verifyIdToken(await sign(replacement), options)).sub).toBe("repo:acme/app");
  });
});

describe("createKeyCache", () => {
  it("keeps the issuer's keys for the TTL: one fetch for many verifications, another once it passes", async () => {
    const a = await keyPair("a");
    const served = servedJwks();
    served.serve([a.jwk]);
    const clock = { ms: 0 };
    const keyCache = createKeyCache({ ttlSeconds: 300, clock: () => new Date(clock.ms) });
    const options = { issuer, audience: "provenant", jwksUri: `${issuer}/jwks-ttl`, fetch: served.fetcher, keyCache };
    for (let i = 0; i < 5; i += 1) expect((await verifyIdToken(await sign(a), options)).sub).toBe("repo:acme/app");
    expect(served.fetches).toBe(1);
    clock.ms += 301_000;
    await verifyIdToken(await sign(a), options);
    expect(served.fetches).toBe(2);
  });

  it("fetches again at once for a token naming a new key id, and at most once per cool-down for made-up ones", async () => {
    const a = await keyPair("a");
    const b = await keyPair("b");
    const c = await keyPair("c");
    const served = servedJwks();
    served.serve([a.jwk]);
    const clock = { ms: 0 };
    const keyCache = createKeyCache({ ttlSeconds: 300, refetchAfterSeconds: 30, clock: () => new Date(clock.ms) });
    const options = { issuer, audience: "provenant", jwksUri: `${issuer}/jwks-kid`, fetch: served.fetcher, keyCache };
    await verifyIdToken(await sign(a), options);
    expect(served.fetches).toBe(1);
    // The issuer rotates b in; the first token signed with b is accepted without waiting out the TTL.
    served.serve([a.jwk, b.jwk]);
    clock.ms += 5_000;
    expect((await verifyIdToken(await sign(b), options)).sub).toBe("repo:acme/app");
    expect(served.fetches).toBe(2);
    // A key id the issuer never published, within the cool-down: refused with no fetch.
    clock.ms += 5_000;
    const error = await rejection(verifyIdToken(await sign(c), options));
    expect(error.code).toBe("TOKEN_INVALID");
    expect(error.message).toContain("no key of the issuer's JWKS matches");
    expect(served.fetches).toBe(2);
    // Past the cool-down an unknown key id may fetch once more.
    clock.ms += 30_000;
    await rejection(verifyIdToken(await sign(c), options));
    expect(served.fetches).toBe(3);
    // Known keys never wait on any of this.
    expect((await verifyIdToken(await sign(a), options)).sub).toBe("repo:acme/app");
    expect(served.fetches).toBe(3);
  });
});
