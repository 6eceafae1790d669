import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";

export { gitlabJobClaims, JOB_COMMIT } from "./job-claims.js";

export interface SignOptions {
  /** Defaults to the issuer's default audience. */
  audience?: string | string[];
  /** Lifetime from now; negative for an expired token. Default 300. */
  expiresInSeconds?: number;
  /** Sign with a key the JWKS does not hold (same kid), to test signature failures. */
  otherKey?: boolean;
  /** "none" produces an unsigned token. */
  alg?: "RS256" | "none";
}

export interface TestIssuer {
  /** The `iss` value: `http://127.0.0.1:<port><pathPrefix>`. */
  issuer: string;
  /** Base URL of the server (no path prefix). */
  url: string;
  jwksUri: string;
  /** GET `<tokenUrl>&audience=A` with `Authorization: Bearer <requestToken>` answers `{ value }` (GitHub's shape); POST answers `{ oidcToken }` (Azure's). */
  tokenUrl: string;
  requestToken: string;
  sign(claims: Record<string, unknown>, options?: SignOptions): Promise<string>;
  /** Claims the token endpoint puts in the tokens it issues. */
  setTokenEndpointClaims(claims: Record<string, unknown>): void;
  /** Every request the server saw, for assertions. */
  requests: { method: string; path: string; authorization?: string }[];
  close(): Promise<void>;
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/**
 * A real OIDC issuer on 127.0.0.1 for tests: discovery, JWKS (also at
 * GitLab's `/oauth/discovery/keys`), and a token endpoint. RS256 keys, as
 * GitHub, GitLab, Jenkins and Azure DevOps use.
 */
export async function startTestIssuer(
  options: {
    pathPrefix?: string;
    defaultAudience?: string;
    /** Where discovery says the keys are: GitLab's is `/oauth/discovery/keys`. */
    jwksPath?: string;
  } = {},
): Promise<TestIssuer> {
  const prefix = (options.pathPrefix ?? "").replace(/\/+$/, "");
  const kid = randomUUID();
  const main = await generateKeyPair("RS256", { extractable: true });
  const other = await generateKeyPair("RS256", { extractable: true });
  const publicJwk: JWK = { ...(await exportJWK(main.publicKey)), kid, alg: "RS256", use: "sig" };
  const requestToken = randomUUID();
  let endpointClaims: Record<string, unknown> = {};
  const requests: TestIssuer["requests"] = [];

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    requests.push({ method: req.method ?? "GET", path: url.pathname + url.search, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
    const path = url.pathname;
    if (path === `${prefix}/.well-known/openid-configuration`) {
      sendJson(res, 200, {
        issuer: issuer.issuer,
        jwks_uri: issuer.jwksUri,
        response_types_supported: ["id_token"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["RS256"],
      });
      return;
    }
    if (path === `${prefix}/.well-known/jwks` || path === `${prefix}/oauth/discovery/keys`) {
      sendJson(res, 200, { keys: [publicJwk] });
      return;
    }
    if (path === "/token") {
      if (req.headers.authorization !== `Bearer ${requestToken}`) {
        sendJson(res, 401, { message: "bad request token" });
        return;
      }
      const audience = url.searchParams.get("audience") ?? options.defaultAudience ?? "provenant";
      void issuer.sign({ ...endpointClaims }, { audience }).then((token) =>
        sendJson(res, 200, req.method === "POST" ? { oidcToken: token } : { count: 1, value: token }),
      );
      return;
    }
    sendJson(res, 404, { message: "not found" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const issuer: TestIssuer = {
    issuer: `${url}${prefix}`,
    url,
    jwksUri: `${url}${prefix}${options.jwksPath ?? "/.well-known/jwks"}`,
    tokenUrl: `${url}/token?api-version=1`,
    requestToken,
    requests,
    async sign(claims, signOptions = {}) {
      const now = Math.floor(Date.now() / 1000);
      const body = {
        iss: issuer.issuer,
        aud: signOptions.audience ?? options.defaultAudience ?? "provenant",
        iat: now,
        nbf: now - 5,
        exp: now + (signOptions.expiresInSeconds ?? 300),
        jti: randomUUID(),
        ...claims,
      };
      if (signOptions.alg === "none") {
        const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
        return `${encode({ alg: "none", typ: "JWT" })}.${encode(body)}.`;
      }
      return new SignJWT(body)
        .setProtectedHeader({ alg: "RS256", typ: "JWT", kid })
        .sign(signOptions.otherKey ? other.privateKey : main.privateKey);
    },
    setTokenEndpointClaims(claims) {
      endpointClaims = claims;
    },
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
  return issuer;
}
