import type { TestIssuer } from "@provenant/oidc/testing";
import type { ActionContext } from "../action/context.js";
import { runnerEnvironment, type Scenario } from "./scenarios.js";

/**
 * A job granted `id-token: write` whose token the local issuer serves. The
 * action is told the issuer through its `oidc-issuer` input, as a workflow
 * on GHES would; no variable names it.
 */
export function tokenJobContext(issuer: TestIssuer, scenario: Scenario, cwd: string, warnings: string[] = []): ActionContext {
  issuer.setTokenEndpointClaims(scenario.claims);
  return {
    env: {
      ...runnerEnvironment(scenario),
      ACTIONS_ID_TOKEN_REQUEST_URL: issuer.tokenUrl,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: issuer.requestToken,
    },
    cwd,
    fetch: globalThis.fetch,
    info: () => {},
    warn: (message) => warnings.push(message),
    now: () => new Date(),
  };
}
