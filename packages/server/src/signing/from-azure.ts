import { FACTS_SOURCE_FIELD, ProvenantError } from "@provenant/core";
import { azurePipelinesProvenance, factsFromPipelineClaims, pipelineSubjectOf, runPoolsHosted } from "@provenant/azure-pipelines/service";
import type { TrustedIssuer } from "./config.js";
import type { ServiceProvenance } from "./provenance-from-claims.js";

const VSTOKEN_ISSUER = /^https:\/\/vstoken\.dev\.azure\.com\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/**
 * Azure Pipelines: the facts come from the token alone through the
 * adapter's own `factsFromPipelineClaims` and `azurePipelinesProvenance`,
 * so the service writes what the local path writes from the same token.
 *
 * Identity the configuration pins:
 * - `repository`: the source repository as host and path, decoded
 *   (`dev.azure.com/acme/Payments Platform/_git/payments-api`,
 *   `github.com/acme/app` for a GitHub repository built on Azure);
 * - `builder`: the pipeline the token's `sub` names, `<org>/<project>/<pipeline>`.
 *   The token carries no commit of the pipeline file, so `builderShas` cannot
 *   match an Azure token (configure none for an Azure issuer).
 *
 * Azure DevOps signs each organization's tokens as
 * `https://vstoken.dev.azure.com/<org id>`; for such an issuer the token's
 * `org_id` must be that id. The pool (Microsoft-hosted or self-hosted) is
 * not in the token, so the provenance does not claim a hosted agent and
 * verifiers report L2 for it (see the package README).
 */
export function fromAzure(issuer: TrustedIssuer, claims: Record<string, unknown>): ServiceProvenance {
  const named = VSTOKEN_ISSUER.exec(issuer.issuer);
  if (named && String(claims.org_id ?? "").toLowerCase() !== named[1]!.toLowerCase()) {
    throw new ProvenantError(
      "TOKEN_INVALID",
      `the token's org_id is ${String(claims.org_id ?? "missing").slice(0, 64)} but its issuer ${issuer.issuer} names organization ${named[1]}; expected the same organization id`,
    );
  }
  const facts = factsFromPipelineClaims(claims, { issuer: issuer.issuer, ...(issuer.serverUrl ? { collectionUri: issuer.serverUrl } : {}) });
  const subject = pipelineSubjectOf(claims.sub);
  return {
    identity: {
      repository: repositoryPathOf(facts.repository.url),
      builder: `${subject.organization}/${subject.project}/${subject.pipeline}`,
    },
    provenance: azurePipelinesProvenance(facts),
  };
}

/**
 * `https://dev.azure.com/acme/Payments%20Platform/_git/payments-api` →
 * `dev.azure.com/acme/Payments Platform/_git/payments-api`: segments decoded
 * so patterns read as the names people type, but a segment that decodes to
 * a separator or a dot segment is refused rather than matched.
 */
function repositoryPathOf(url: string): string {
  const parsed = new URL(url);
  const segments = parsed.pathname
    .split("/")
    .filter((segment) => segment !== "")
    .map((segment) => decodeURIComponent(segment));
  if (segments.some((segment) => segment.includes("/") || segment === "." || segment === ".." || segment.includes("@"))) {
    throw new ProvenantError("TOKEN_INVALID", `the token's rpo_uri ${url} has an encoded separator or dot segment; expected a plain repository URL`);
  }
  return [parsed.hostname.toLowerCase(), ...segments].join("/");
}

/** Where the service recorded what it learned about the run's agent pools (an extension field, `<vendor>_<name>`). */
export const AGENT_POOLS_FIELD = "provenant_agentPools";

/**
 * The Azure issuer's `enrichment`: asks the Azure DevOps REST API, with the
 * server's own credential, whether every started job of the token's run ran
 * on a Microsoft-hosted pool. Hosted: the provenance is rebuilt from the same
 * facts with the hosted agent (builder `…/_agents/microsoft-hosted`, which
 * verifiers need for L3). Otherwise it stays as built (`_agents/self-hosted`,
 * L2) and records why. Either way `provenant_agentPools` says what was
 * learned and from where. `required` turns "not learned" into a refusal
 * (nothing signed); a self-hosted answer is an answer and signs at L2.
 */
export async function enrichAzure(
  issuer: TrustedIssuer,
  claims: Record<string, unknown>,
  built: ServiceProvenance,
  options: { env: Readonly<Record<string, string | undefined>>; fetch?: typeof globalThis.fetch },
): Promise<ServiceProvenance> {
  const enrichment = issuer.enrichment;
  if (issuer.platform !== "azure-pipelines" || !enrichment) return built;
  const facts = factsFromPipelineClaims(claims, { issuer: issuer.issuer, ...(issuer.serverUrl ? { collectionUri: issuer.serverUrl } : {}) });
  const organizationUrl = enrichment.organizationUrl.replace(/\/?$/, "/");
  const credential = options.env[enrichment.credentialEnv];
  const pools = credential
    ? facts.collectionUri.toLowerCase() === organizationUrl.toLowerCase()
      ? await runPoolsHosted({
          organizationUrl,
          project: facts.project,
          buildId: facts.build.id,
          authorization: enrichment.scheme === "bearer" ? `Bearer ${credential}` : `Basic ${Buffer.from(`:${credential}`).toString("base64")}`,
          ...(options.fetch ? { fetch: options.fetch } : {}),
        })
      : { hosted: undefined, reason: `the run is in ${facts.collectionUri}, not ${organizationUrl}, the organization the service's credential is for` }
    : { hosted: undefined, reason: `the service's credential (${enrichment.credentialEnv}) is not set` };
  if (pools.hosted === undefined && enrichment.required) {
    throw new ProvenantError("SOURCE_UNAVAILABLE", `the signing service must learn the run's agent pools for ${issuer.issuer} and could not: ${pools.reason}`);
  }
  const record =
    pools.hosted === true
      ? { source: "azure-devops-rest-api", hosted: true, jobs: pools.jobs }
      : { source: "azure-devops-rest-api", hosted: pools.hosted ?? "unknown", reason: pools.reason };
  const provenance = pools.hosted === true ? azurePipelinesProvenance({ ...facts, agent: { ...facts.agent, hosted: true } }) : built.provenance;
  const metadata = { ...provenance.runDetails.metadata, [FACTS_SOURCE_FIELD]: "service-oidc-token", [AGENT_POOLS_FIELD]: record };
  return { identity: built.identity, provenance: { ...provenance, runDetails: { ...provenance.runDetails, metadata } } };
}
