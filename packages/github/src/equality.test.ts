import { buildSLSAProvenancePredicate } from "@actions/attest";
import { startTestIssuer, type TestIssuer } from "@provenant/oidc/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { adapter } from "./adapter.js";
import { runnerEnvironment, SCENARIOS } from "./test-support/scenarios.js";

// GitHub's own @actions/attest and this adapter each fetch a token from the
// same local issuer (real discovery, JWKS and token endpoint on 127.0.0.1)
// and build provenance from it; the fields GitHub defines must match.
let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterAll(async () => {
  await issuer.close();
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe.each(SCENARIOS.map((make) => [make().name, make] as const))("same provenance as @actions/attest: %s", (_name, make) => {
  it("gives equal buildDefinition, builder and invocationId", async () => {
    const scenario = make();
    issuer.setTokenEndpointClaims(scenario.claims);
    const env = {
      ...runnerEnvironment(scenario),
      ACTIONS_ID_TOKEN_REQUEST_URL: issuer.tokenUrl,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: issuer.requestToken,
    };

    // @actions/attest reads process.env (through @actions/core) and prints
    // `::add-mask::` for the token it gets; keep that out of the test log.
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const theirs = await buildSLSAProvenancePredicate(issuer.issuer);
    vi.restoreAllMocks();

    const ours = await adapter.collect({
      env,
      cwd: process.cwd(),
      fetch: globalThis.fetch,
      // The only warning expected: the issuer is the local one, not GitHub's.
      warn: (message) => {
        if (!message.includes(`verified against ${issuer.issuer}`)) throw new Error(`unexpected warning: ${message}`);
      },
      now: () => new Date(),
      options: { tokenIssuer: issuer.issuer },
    });

    const { buildDefinition, runDetails } = theirs.params as typeof ours;
    // The buildType defines externalParameters.inputs for workflow_dispatch
    // runs, and we record them; @actions/attest does not, so the dispatch
    // case compares without them. Everything else must match as it is.
    const { inputs, ...externalParameters } = ours.buildDefinition.externalParameters as Record<string, unknown>;
    if (scenario.claims.event_name === "workflow_dispatch") expect(inputs).toEqual(scenario.payload.inputs);
    else expect(inputs).toBeUndefined();
    expect({ ...ours.buildDefinition, externalParameters }).toEqual(buildDefinition);
    expect(ours.runDetails.builder).toEqual(runDetails.builder);
    expect(ours.runDetails.metadata?.invocationId).toEqual(runDetails.metadata?.invocationId);
    expect(ours.runDetails.metadata?.provenant_factsSource).toBe("oidc-token");
    // Both really went to the token endpoint: audience "nobody" is GitHub's, "provenant" ours.
    const tokenRequests = issuer.requests.filter((r) => r.path.startsWith("/token")).slice(-2);
    expect(tokenRequests.map((r) => new URL(r.path, issuer.url).searchParams.get("audience"))).toEqual(["nobody", "provenant"]);
  });
});
