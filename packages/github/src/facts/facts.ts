import { type CollectContext, type FactsSource, ProvenantError } from "@provenant/core";
import { type GitHubClaims, parseClaims } from "./claims.js";
import { runStartedOn } from "./enrich.js";
import { claimsFromEnvironment, type Disagreement, disagreementsWith } from "./environment.js";
import { readEventPayload } from "./event.js";
import { apiUrlFor, issuerFor, serverUrlOf } from "./server.js";
import { canRequestIdToken, DEFAULT_AUDIENCE, requestIdToken, verifyGitHubToken } from "./token.js";

/** Everything `provenance(facts)` needs; plain data. */
export interface GitHubFacts {
  /** `GITHUB_SERVER_URL`, e.g. `https://github.com` or `https://acme.ghe.com`. */
  serverUrl: string;
  claims: GitHubClaims;
  /** `oidc-token` when `claims` came from a verified ID token, else `environment`. */
  factsSource: Extract<FactsSource, "oidc-token" | "environment">;
  /** The issuer whose signature was verified, in `oidc-token` mode. */
  issuer?: string;
  /** `oidc-token` mode: variables that say something else than the token. */
  disagreements?: Disagreement[];
  /** RFC 3339 start of the run attempt, when the REST API told us. */
  startedOn?: string;
  /** RFC 3339 time the facts were gathered: the build is over when it attests. */
  finishedOn?: string;
  /** A `workflow_dispatch` run's inputs, from the event payload. */
  workflowInputs?: Record<string, string | number | boolean | null>;
}

/**
 * Gathers the facts of this GitHub Actions job. With `id-token: write` the
 * identity comes from the job's ID token after its signature is verified;
 * without, from the environment, and the provenance says so. The token goes
 * to `context.mask` first, as @actions/core's getIDToken masks it.
 */
export async function githubFacts(context: CollectContext): Promise<GitHubFacts> {
  const { env, options } = context;
  const serverUrl = serverUrlOf(env.GITHUB_SERVER_URL);
  const serverIssuer = issuerFor(serverUrl);
  // The issuer picks the keys that vouch for the facts, so it never comes
  // from a variable: an earlier step can set any variable for later ones
  // through GITHUB_ENV, except GITHUB_* and RUNNER_* (GitHub's variables
  // reference), which is why GITHUB_SERVER_URL may decide it. Otherwise only
  // the workflow's own text: the CLI's --token-issuer, the action's input.
  const issuer = options.tokenIssuer || serverIssuer;
  const audience = options.tokenAudience || DEFAULT_AUDIENCE;
  const payload = await readEventPayload(env.GITHUB_EVENT_PATH);

  let token: string | undefined;
  if (options.tokenVariable) {
    token = env[options.tokenVariable];
    if (!token) {
      throw new ProvenantError("PLATFORM_FACTS_MISSING", `--token-variable ${options.tokenVariable}: that variable is empty or unset`);
    }
  } else if (canRequestIdToken(env)) {
    token = await requestIdToken(env, audience, context.fetch);
  }
  if (token) context.mask?.(token);

  let facts: GitHubFacts;
  if (token) {
    if (issuer !== serverIssuer) {
      // Whoever sets the issuer decides which keys vouch for the facts; say so.
      context.warn(`the ID token is verified against ${issuer}, not ${serverIssuer} (the issuer of ${serverUrl}); the provenance records it`);
    }
    const verified = await verifyGitHubToken(token, { issuer, audience, fetch: context.fetch, now: context.now });
    const claims = parseClaims(verified, (claim) => `the ID token's "${claim}" claim`);
    const disagreements = disagreementsWith(claims, env);
    for (const d of disagreements) {
      context.warn(`${d.variable} is ${JSON.stringify(d.variableValue)} but the verified token says ${d.claim} ${JSON.stringify(d.claimValue)}; the token wins`);
    }
    facts = {
      serverUrl,
      claims,
      factsSource: "oidc-token",
      issuer: verified.iss,
      ...(disagreements.length > 0 ? { disagreements } : {}),
    };
  } else {
    context.warn(
      "no OIDC ID token (grant the job `permissions: id-token: write`): facts come from GITHUB_* variables a step could change, so verification grants SLSA Build L1 only",
    );
    facts = { serverUrl, claims: claimsFromEnvironment(env, payload), factsSource: "environment" };
  }

  if (facts.claims.event_name === "workflow_dispatch" && payload?.inputs) {
    facts.workflowInputs = payload.inputs;
  }
  if (env.GITHUB_TOKEN) {
    const startedOn = await runStartedOn(facts.claims, {
      token: env.GITHUB_TOKEN,
      apiUrl: (env.GITHUB_API_URL || apiUrlFor(serverUrl)).replace(/\/+$/, ""),
      fetch: context.fetch,
      warn: context.warn,
    });
    if (startedOn) facts.startedOn = startedOn;
  }
  facts.finishedOn = context.now().toISOString();
  return facts;
}
