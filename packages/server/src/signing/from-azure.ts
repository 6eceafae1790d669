import { ProvenantError } from "@provenant/core";
import { azurePipelinesProvenance, factsFromPipelineClaims, pipelineSubjectOf } from "@provenant/azure-pipelines/service";
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
