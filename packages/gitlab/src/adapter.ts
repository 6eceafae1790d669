import { DEFAULT_TOKEN_VARIABLE } from "./token-variable.js";
import { type CollectContext, type PlatformAdapter, ProvenantError } from "@provenant/core";
import { verifyIdToken } from "@provenant/oidc";
import { parseGitLabClaims, REQUIRED_CLAIMS } from "./claims.js";
import { enrichFromApi } from "./enrich.js";
import { factsFromToken, factsFromVariables, type GitLabFacts, serverUrlOf } from "./facts.js";
import { DISAGREEMENTS_FIELD, gitlabProvenance } from "./provenance.js";

/** The variable the job's `id_tokens:` entry fills, unless `--token-variable` names another. */
/** The `aud` the job's `id_tokens:` entry requests, unless `--token-audience` names another. */
export const DEFAULT_TOKEN_AUDIENCE = "provenant";

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The issuer the ID token must name: CI_SERVER_URL, unless the instance's
 * administrators set another (the `ci_id_tokens_issuer_url` application
 * setting) and the component pinned it at include time with
 * its `token_issuer` input, which reaches here as `--token-issuer` (an
 * option, never a variable a dotenv report could set). Verified the same
 * way: discovery at that issuer must name it, its keys must sign the token.
 */
export function tokenIssuerOf(option: string | undefined, serverUrl: string): string {
  const value = option?.trim();
  if (!value) return serverUrl;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ProvenantError("USAGE", "--token-issuer is not a URL; expected the instance's ID token issuer, e.g. https://gitlab.example.com");
  }
  if ((url.protocol !== "https:" && url.protocol !== "http:") || url.username || url.password || url.search || url.hash) {
    throw new ProvenantError(
      "USAGE",
      "--token-issuer: expected a plain http(s) URL without user information, query or fragment, as the token's iss claim",
    );
  }
  return value.replace(/\/+$/, "");
}

/**
 * Gathers the job's facts: the ID token when the job has one (verified against
 * the instance's keys; its claims win), the predefined variables otherwise,
 * then the optional REST API enrichment.
 */
export async function collectGitLabFacts(context: CollectContext): Promise<GitLabFacts> {
  const tokenVariable = context.options.tokenVariable ?? DEFAULT_TOKEN_VARIABLE;
  if (!VARIABLE_NAME.test(tokenVariable)) {
    throw new ProvenantError("USAGE", `--token-variable ${tokenVariable}: expected a CI variable name like ${DEFAULT_TOKEN_VARIABLE}`);
  }
  const audience = context.options.tokenAudience ?? DEFAULT_TOKEN_AUDIENCE;
  const token = context.env[tokenVariable]?.trim();
  let facts: GitLabFacts;
  if (!token) {
    if (context.options.tokenVariable) {
      throw new ProvenantError(
        "PLATFORM_FACTS_MISSING",
        `--token-variable ${tokenVariable} was given but the variable is empty; add "id_tokens: { ${tokenVariable}: { aud: ${audience} } }" to the job`,
      );
    }
    context.warn(
      `no ID token in ${tokenVariable}: the facts come from CI variables a build step could change, so the provenance supports SLSA Build L1 only; add "id_tokens: { ${tokenVariable}: { aud: ${audience} } }" to the job`,
    );
    facts = factsFromVariables(context.env, context.warn);
  } else {
    const serverUrl = serverUrlOf(context.env);
    const issuer = tokenIssuerOf(context.options.tokenIssuer, serverUrl);
    const claims = await verifyIdToken(token, {
      issuer,
      audience,
      fetch: context.fetch,
      // The instance's discovery document (`/.well-known/openid-configuration`)
      // names the keys (`/oauth/discovery/keys` on GitLab) and must name the
      // same issuer: read, not assumed.
      now: context.now,
      requiredClaims: REQUIRED_CLAIMS,
    });
    facts = factsFromToken(context.env, serverUrl, parseGitLabClaims(claims), context.warn, issuer);
    for (const disagreement of facts.disagreements) {
      context.warn(
        `${disagreement.variable} is ${disagreement.variableValue} but the verified ID token's ${disagreement.claim} is ${disagreement.claimValue}; the token wins: ${disagreement.claimValue} was used, and both values are recorded in the provenance (runDetails.metadata.${DISAGREEMENTS_FIELD})`,
      );
    }
  }
  const api = await enrichFromApi(facts, context);
  return api ? { ...facts, api } : facts;
}

export const adapter: PlatformAdapter = {
  platform: "gitlab",
  async collect(context) {
    return gitlabProvenance(await collectGitLabFacts(context));
  },
};

export { DEFAULT_TOKEN_VARIABLE };
