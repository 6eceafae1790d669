import { isProvenantError } from "@provenant/core";
import { exportJWK, generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestIssuer, type TestIssuer } from "./testing.js";
import { requireJwksOrigin, verifyIdToken } from "./verify-token.js";

// Attack corpus for token trust (issue 12 §5): a real issuer on 127.0.0.1,
// with its discovery document or JWKS rewritten by the fetch the verifier is given.
let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterAll(async () => {
  await issuer.close();
});

/** A fetch that answers `url` with `body` and passes everything else to the real issuer. */
function answering(rewrites: Record<string, (real: () => Promise<unknown>) => Promise<unknown>>): typeof globalThis.fetch {
  const seen: string[] = [];
  const fetcher: typeof globalThis.fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    seen.push(url);
    const rewrite = rewrites[url];
    if (!rewrite) return globalThis.fetch(input, init);
    const body = await rewrite(async () => (await globalThis.fetch(url)).json());
    return new Response(JSON.stringify(body), { headers: { "content-type": "application/json" } });
  };
  return Object.assign(fetcher, { seen });
}

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isProvenantError(error)).toBe(true);
  return error as { code: string; message: string };
}

const discoveryUrl = () => `${issuer.issuer}/.well-known/openid-configuration`;

describe("duplicate kid in a JWKS", () => {
  it("tries each key under the kid and accepts the token the real key signed", async () => {
    const decoy = await generateKeyPair("RS256", { extractable: true });
    const fetcher = answering({
      [issuer.jwksUri]: async (real) => {
        const { keys } = (await real()) as { keys: { kid: string }[] };
        const decoyJwk = { ...(await exportJWK(decoy.publicKey)), kid: keys[0]!.kid, alg: "RS256", use: "sig" };
        return { keys: [decoyJwk, ...keys] }; // the decoy comes first
      },
    });
    const token = await issuer.sign({ sub: "x" });
    const claims = await verifyIdToken(token, { issuer: issuer.issuer, audience: "provenant", fetch: fetcher });
    expect(claims.sub).toBe("x");
  });

  it("still refuses a token no key under the kid verifies", async () => {
    const decoy = await generateKeyPair("RS256", { extractable: true });
    const fetcher = answering({
      [issuer.jwksUri]: async (real) => {
        const { keys } = (await real()) as { keys: { kid: string }[] };
        return { keys: [...keys, { ...(await exportJWK(decoy.publicKey)), kid: keys[0]!.kid, alg: "RS256" }] };
      },
    });
    const token = await issuer.sign({ sub: "x" }, { otherKey: true });
    const error = await failure(verifyIdToken(token, { issuer: issuer.issuer, audience: "provenant", fetch: fetcher }));
    expect(error.code).toBe("TOKEN_INVALID");
    expect(error.message).toMatch(/signature does not verify/);
  });
});

describe("where keys may come from", () => {
  it("refuses a jwks_uri on another origin, before fetching it", async () => {
    const elsewhere = "http://127.0.0.2:9/keys";
    const fetcher = answering({
      [discoveryUrl()]: async (real) => ({ ...((await real()) as object), jwks_uri: elsewhere }),
    });
    const error = await failure(verifyIdToken(await issuer.sign({}), { issuer: issuer.issuer, audience: "provenant", fetch: fetcher }));
    expect(error.code).toBe("TOKEN_INVALID");
    expect(error.message).toMatch(/not on the issuer's own origin/);
    expect((fetcher as unknown as { seen: string[] }).seen).not.toContain(elsewhere);
  });

  it("refuses a data: JWKS", async () => {
    const data = `data:application/json,${encodeURIComponent(JSON.stringify({ keys: [] }))}`;
    const fetcher = answering({ [discoveryUrl()]: async (real) => ({ ...((await real()) as object), jwks_uri: data }) });
    const error = await failure(verifyIdToken(await issuer.sign({}), { issuer: issuer.issuer, audience: "provenant", fetch: fetcher }));
    expect(error.message).toMatch(/data: URL; expected an https:\/\/ URL/);
  });

  it("refuses a plain-http issuer that is not on loopback, sending nothing", async () => {
    const seen: string[] = [];
    const fetcher: typeof globalThis.fetch = async (input) => {
      seen.push(String(input));
      throw new Error("must not be called");
    };
    const error = await failure(verifyIdToken(await issuer.sign({}), { issuer: "http://issuer.example.com", audience: "provenant", fetch: fetcher }));
    expect(error.code).toBe("TOKEN_INVALID");
    expect(error.message).toMatch(/expected an https:\/\/ URL/);
    expect(seen).toEqual([]);
  });

  it("accepts a cross-origin JWKS only for an issuer on the allow-list", () => {
    expect(() => requireJwksOrigin("https://issuer.example.com", "https://keys.example.net/jwks")).toThrow(/own origin/);
    expect(() => requireJwksOrigin("https://issuer.example.com", "https://keys.example.net/jwks", ["https://issuer.example.com"])).not.toThrow();
    expect(() => requireJwksOrigin("https://gitlab.com", "https://gitlab.com/oauth/discovery/keys")).not.toThrow();
    expect(() => requireJwksOrigin("https://token.actions.githubusercontent.com", "https://token.actions.githubusercontent.com/.well-known/jwks")).not.toThrow();
  });
});
