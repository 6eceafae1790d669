import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { CollectContext } from "@provenant/core";
import { startTestIssuer, type TestIssuer } from "@provenant/oidc/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { provenantFailure } from "../test-support/failure.js";
import { pushTag, runnerEnvironment, workflowDispatch } from "../test-support/scenarios.js";
import { githubFacts } from "./facts.js";
import { acceptedIssuer, apiUrlFor, issuerFor, serverUrlOf } from "./server.js";

let issuer: TestIssuer;
let enterpriseIssuer: TestIssuer;
beforeAll(async () => {
  issuer = await startTestIssuer();
  // An enterprise with a customized issuer: `iss` carries its slug.
  enterpriseIssuer = await startTestIssuer({ pathPrefix: "/octo-enterprise" });
});
afterAll(async () => {
  await issuer.close();
  await enterpriseIssuer.close();
});

/** `--token-issuer`: the test issuer stands in for GitHub's. */
const local = () => ({ tokenIssuer: issuer.issuer });

function contextFor(env: Record<string, string | undefined>, options: Record<string, string> = {}) {
  const warnings: string[] = [];
  const context: CollectContext = {
    env,
    cwd: process.cwd(),
    fetch: globalThis.fetch,
    warn: (message) => warnings.push(message),
    now: () => new Date(),
    options,
  };
  return { context, warnings };
}

/** A job granted `id-token: write`, whose token endpoint is the test issuer's. */
function tokenJob(claims: Record<string, unknown>, extra: Record<string, string> = {}) {
  issuer.setTokenEndpointClaims(claims);
  return {
    ...runnerEnvironment(pushTag()),
    ACTIONS_ID_TOKEN_REQUEST_URL: issuer.tokenUrl,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: issuer.requestToken,
    ...extra,
  };
}

describe("githubFacts with an ID token", () => {
  it("takes identity from the verified token, not from variables a step changed", async () => {
    const scenario = pushTag();
    const env = tokenJob(scenario.claims, { GITHUB_SHA: "f".repeat(40), GITHUB_REF: "refs/heads/evil" });
    const { context, warnings } = contextFor(env, local());
    const facts = await githubFacts(context);
    expect(facts.factsSource).toBe("oidc-token");
    expect(facts.claims.sha).toBe(scenario.claims.sha);
    expect(facts.claims.ref).toBe("refs/tags/simple-tag");
    expect(facts.issuer).toBe(issuer.issuer);
    // The rewritten variables are recorded and reported, never used.
    expect(facts.disagreements).toEqual([
      { variable: "GITHUB_REF", claim: "ref", variableValue: "refs/heads/evil", claimValue: "refs/tags/simple-tag" },
      { variable: "GITHUB_SHA", claim: "sha", variableValue: "f".repeat(40), claimValue: scenario.claims.sha },
    ]);
    expect(warnings).toEqual([
      // Overriding the issuer decides whose keys vouch for the facts: never silent.
      expect.stringMatching(/verified against http:\/\/127\.0\.0\.1:\d+, not https:\/\/token\.actions\.githubusercontent\.com/),
      expect.stringMatching(/^GITHUB_REF is "refs\/heads\/evil" but the verified token says ref "refs\/tags\/simple-tag"; the token wins$/),
      expect.stringMatching(/^GITHUB_SHA is/),
    ]);
  });

  it("asks the token service for the audience given on the command line", async () => {
    const { context } = contextFor(tokenJob(pushTag().claims), { ...local(), tokenAudience: "https://attest.acme.example" });
    await githubFacts(context);
    const last = issuer.requests.filter((r) => r.path.startsWith("/token")).at(-1)!;
    expect(new URL(last.path, issuer.url).searchParams.get("audience")).toBe("https://attest.acme.example");
    expect(last.authorization).toBe(`Bearer ${issuer.requestToken}`);
  });

  it("reads a token from --token-variable instead of requesting one", async () => {
    const token = await issuer.sign(pushTag().claims);
    const env = { ...runnerEnvironment(pushTag()), MY_TOKEN: token };
    const facts = await githubFacts(contextFor(env, { ...local(), tokenVariable: "MY_TOKEN" }).context);
    expect(facts.factsSource).toBe("oidc-token");
  });

  it("hands the requested token to context.mask before verifying it, so a token that fails is masked too", async () => {
    const masked: string[] = [];
    const expired = { ...pushTag().claims, exp: Math.floor(Date.now() / 1000) - 60 };
    const { context } = contextFor(tokenJob(expired), local());
    const error = await provenantFailure(githubFacts({ ...context, mask: (t) => void masked.push(t) }));
    expect(error.code).toBe("TOKEN_INVALID");
    expect(masked).toHaveLength(1);
    expect(masked[0]).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it("accepts an enterprise's customized issuer below the expected one", async () => {
    const token = await enterpriseIssuer.sign(pushTag().claims);
    const env = { ...runnerEnvironment(pushTag()), T: token };
    const facts = await githubFacts(contextFor(env, { tokenIssuer: enterpriseIssuer.url, tokenVariable: "T" }).context);
    expect(facts.issuer).toBe(`${enterpriseIssuer.url}/octo-enterprise`);
  });

  describe("refuses bad tokens with a coded error", () => {
    const cases: [string, () => Promise<string>, string, RegExp][] = [
      ["an expired token", () => issuer.sign(pushTag().claims, { expiresInSeconds: -3600 }), "TOKEN_INVALID", /expired/],
      ["a token for another audience", () => issuer.sign(pushTag().claims, { audience: "someone-else" }), "TOKEN_INVALID", /audience/],
      ["a token from another issuer", () => issuer.sign({ ...pushTag().claims, iss: "https://token.actions.evil.example" }), "TOKEN_INVALID", /issuer/],
      ["an unsigned token (alg none)", () => issuer.sign(pushTag().claims, { alg: "none" }), "TOKEN_INVALID", /alg none/],
      ["a token signed by another key", () => issuer.sign(pushTag().claims, { otherKey: true }), "TOKEN_INVALID", /signature|key/],
      [
        "a token without job_workflow_ref",
        () => issuer.sign({ ...pushTag().claims, job_workflow_ref: undefined }),
        "PLATFORM_FACTS_MISSING",
        /"job_workflow_ref"/,
      ],
      ["a token whose sha is no commit id", () => issuer.sign({ ...pushTag().claims, sha: "main" }), "PLATFORM_FACTS_MISSING", /"sha" claim/],
    ];
    it.each(cases)("%s", async (_name, makeToken, code, message) => {
      const env = { ...runnerEnvironment(pushTag()), T: await makeToken() };
      const error = await provenantFailure(githubFacts(contextFor(env, { ...local(), tokenVariable: "T" }).context));
      expect(error.code).toBe(code);
      expect(error.message).toMatch(message);
    });

    it("a token service that refuses the request token", async () => {
      const env = { ...tokenJob(pushTag().claims), ACTIONS_ID_TOKEN_REQUEST_TOKEN: "stolen" };
      const error = await provenantFailure(githubFacts(contextFor(env, local()).context));
      expect(error.code).toBe("TOKEN_INVALID");
      expect(error.message).toMatch(/HTTP 401/);
      expect(error.message).not.toContain("stolen");
    });

    it("a github.com token when the real issuer is expected", async () => {
      // No override: the issuer follows GITHUB_SERVER_URL, so a token from a
      // local issuer cannot pass as GitHub's.
      const error = await provenantFailure(githubFacts(contextFor(tokenJob(pushTag().claims)).context));
      expect(error.code).toBe("TOKEN_INVALID");
      expect(error.message).toMatch(/token\.actions\.githubusercontent\.com/);
    });
  });
});

describe("the expected issuer never comes from a variable", () => {
  // An earlier step can set any variable but GITHUB_* and RUNNER_* for later
  // ones through GITHUB_ENV, the token request URL included: a job without
  // id-token: write could then fetch a token from an issuer it runs itself.
  it("ignores PROVENANT_GITHUB_OIDC_ISSUER: that issuer's keys are never fetched and no token-verified facts result", async () => {
    const env = tokenJob(pushTag().claims, { PROVENANT_GITHUB_OIDC_ISSUER: issuer.issuer });
    const before = issuer.requests.length;
    const error = await provenantFailure(githubFacts(contextFor(env).context));
    expect(error.code).toBe("TOKEN_INVALID");
    expect(error.message).toContain(`the ID token's issuer is ${issuer.issuer}; expected https://token.actions.githubusercontent.com`);
    // The token service was asked (the runner names it in a variable), never
    // the discovery document or JWKS of the issuer the token claims.
    expect(issuer.requests.slice(before).map((r) => r.path.split("?")[0])).toEqual(["/token"]);
  });

  it("expects the issuer of GITHUB_SERVER_URL: a GHE.com tenant's", async () => {
    const env = tokenJob(pushTag().claims, { GITHUB_SERVER_URL: "https://octocorp.ghe.com", PROVENANT_GITHUB_OIDC_ISSUER: issuer.issuer });
    const error = await provenantFailure(githubFacts(contextFor(env).context));
    expect(error.message).toContain("expected https://token.actions.octocorp.ghe.com");
  });
});

describe("githubFacts without an ID token", () => {
  it("falls back to the runner's variables, warns, and marks the facts", async () => {
    const scenario = pushTag();
    const { context, warnings } = contextFor(runnerEnvironment(scenario));
    const facts = await githubFacts(context);
    expect(facts.factsSource).toBe("environment");
    expect(facts.claims).toMatchObject({ sha: scenario.claims.sha, ref: "refs/tags/simple-tag", repository_id: "186853002" });
    expect(warnings.join("\n")).toMatch(/id-token: write.*L1/);
  });

  it("takes the numeric ids from the event payload on runners that lack the variables", async () => {
    const env = runnerEnvironment(pushTag());
    delete env.GITHUB_REPOSITORY_ID;
    delete env.GITHUB_REPOSITORY_OWNER_ID;
    const facts = await githubFacts(contextFor(env).context);
    expect(facts.claims.repository_id).toBe("186853002");
    expect(facts.claims.repository_owner_id).toBe("21031067");
  });

  it("names the missing variable", async () => {
    const env = runnerEnvironment(pushTag());
    delete env.GITHUB_RUN_ID;
    const error = await provenantFailure(githubFacts(contextFor(env).context));
    expect(error.code).toBe("PLATFORM_FACTS_MISSING");
    expect(error.message).toMatch(/GITHUB_RUN_ID is missing/);
  });

  it("records the time of attestation as finishedOn", async () => {
    const { context } = contextFor(runnerEnvironment(pushTag()));
    const facts = await githubFacts({ ...context, now: () => new Date("2026-11-20T10:04:31Z") });
    expect(facts.finishedOn).toBe("2026-11-20T10:04:31.000Z");
  });

  it("records workflow_dispatch inputs from the event payload", async () => {
    const facts = await githubFacts(contextFor(runnerEnvironment(workflowDispatch())).context);
    expect(facts.workflowInputs).toEqual({ version: "1.4.0", "dry-run": false });
  });

  it("refuses an event payload that is not JSON", async () => {
    const env = runnerEnvironment(pushTag());
    env.GITHUB_EVENT_PATH = new URL(import.meta.url).pathname;
    expect((await provenantFailure(githubFacts(contextFor(env).context))).code).toBe("MALFORMED_JSON");
  });
});

describe("start time from the REST API", () => {
  // Stands in for GitHub's REST API, which cannot run here; the body follows
  // "Get a workflow run attempt" (docs.github.com/rest/actions/workflow-runs).
  async function withApi(status: number, body: unknown, test: (apiUrl: string, seen: { path: string; auth?: string }[]) => Promise<void>) {
    const seen: { path: string; auth?: string }[] = [];
    const server = createServer((req, res) => {
      seen.push({ path: req.url ?? "", ...(req.headers.authorization ? { auth: req.headers.authorization } : {}) });
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      await test(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }

  it("records when the run attempt started", async () => {
    await withApi(200, { id: 7543891234, run_attempt: 2, status: "in_progress", run_started_at: "2026-11-20T09:58:01Z" }, async (apiUrl, seen) => {
      const env = { ...runnerEnvironment(pushTag()), GITHUB_TOKEN: "ghs_example", GITHUB_API_URL: apiUrl };
      const facts = await githubFacts(contextFor(env).context);
      expect(facts.startedOn).toBe("2026-11-20T09:58:01.000Z");
      expect(seen[0]).toEqual({ path: "/repos/Codertocat/Hello-World/actions/runs/7543891234/attempts/2", auth: "token ghs_example" });
    });
  });

  it("warns and goes on when the API refuses", async () => {
    await withApi(403, { message: "Resource not accessible by integration" }, async (apiUrl) => {
      const env = { ...runnerEnvironment(pushTag()), GITHUB_TOKEN: "ghs_example", GITHUB_API_URL: apiUrl };
      const { context, warnings } = contextFor(env);
      const facts = await githubFacts(context);
      expect(facts.startedOn).toBeUndefined();
      expect(warnings.at(-1)).toMatch(/start time/);
    });
  });
});

describe("servers and issuers", () => {
  it("derives the issuer and API of github.com, GHE.com and GHES", () => {
    expect(issuerFor("https://github.com")).toBe("https://token.actions.githubusercontent.com");
    expect(issuerFor("https://octocorp.ghe.com")).toBe("https://token.actions.octocorp.ghe.com");
    expect(issuerFor("https://github.acme.example")).toBe("https://github.acme.example/_services/token");
    expect(apiUrlFor("https://octocorp.ghe.com")).toBe("https://api.octocorp.ghe.com");
    expect(apiUrlFor("https://github.acme.example")).toBe("https://github.acme.example/api/v3");
  });

  it("accepts an issuer only below the expected one", () => {
    const base = "https://token.actions.githubusercontent.com";
    expect(acceptedIssuer(`${base}/octo-enterprise`, base)).toBe(`${base}/octo-enterprise`);
    expect(acceptedIssuer(`${base}.evil.example`, base)).toBeUndefined();
    expect(acceptedIssuer("https://evil.example", base)).toBeUndefined();
  });

  it("refuses a server URL that is no origin", () => {
    expect(() => serverUrlOf("github.com")).toThrow(/GITHUB_SERVER_URL/);
    expect(serverUrlOf(undefined)).toBe("https://github.com");
    expect(serverUrlOf("https://octocorp.ghe.com/")).toBe("https://octocorp.ghe.com");
  });
});
