/** buildType URIs. Non-GitHub ones are documented in docs/buildtypes/<platform>-v1.md. */
export const BUILD_TYPES = {
  github: "https://actions.github.io/buildtypes/workflow/v1",
  gitlab: "https://provenant.dev/buildtypes/gitlab-ci/v1",
  jenkins: "https://provenant.dev/buildtypes/jenkins/v1",
  azurePipelines: "https://provenant.dev/buildtypes/azure-pipelines/v1",
  local: "https://provenant.dev/buildtypes/local/v1",
} as const;

/**
 * Extension field (SLSA v1.0 `<vendor>_<name>`) in `runDetails.metadata`
 * saying where the identity facts came from:
 * - `oidc-token`: source and builder fields were read from the platform's
 *   OIDC token after verifying its signature;
 * - `environment`: from variables a build step could have changed;
 * - `external-oidc-token`: from a verified token whose issuer the build
 *   itself named (an external issuer, not the platform's own): better than
 *   variables, but a build that can name the issuer can mint the token, so
 *   it supports L1 only;
 * - `local`: from the git checkout on a machine outside CI;
 * - `service-oidc-token`: written by the signing service (`POST
 *   /v1/provenance`) from the claims of a token it verified itself, and
 *   signed with a key the build never saw. Means something only when the
 *   signature is a trusted service key's: a user key can write it too.
 */
export const FACTS_SOURCE_FIELD = "provenant_factsSource";

/**
 * Extension field in `runDetails.metadata`, `true` when the signing service
 * built the provenance for a build platform its operator declared hardened
 * in the service's configuration (`hardened: true` on a trusted Jenkins
 * issuer). A self-managed platform's token cannot say whether runs are
 * isolated from each other and from the platform's signing key; the operator
 * of the service can. Means something only beside `service-oidc-token` under
 * a trusted service key's signature, like that value.
 */
export const PLATFORM_HARDENED_FIELD = "provenant_platformHardened";

/**
 * Extension field in `runDetails.metadata` listing CI variables that
 * contradicted the verified token: `{ variable, claim, variableValue,
 * claimValue }[]`. The token's value is the one recorded; this says so.
 */
export const VARIABLE_DISAGREEMENTS_FIELD = "provenant_variableDisagreements";

export interface VariableDisagreement {
  variable: string;
  claim: string;
  variableValue: string;
  claimValue: string;
}

/** The disagreements a provenance document records, ignoring entries of another shape. */
export function variableDisagreementsOf(metadata: Readonly<Record<string, unknown>> | undefined): VariableDisagreement[] {
  const listed = metadata?.[VARIABLE_DISAGREEMENTS_FIELD];
  if (!Array.isArray(listed)) return [];
  return listed.filter(
    (entry): entry is VariableDisagreement =>
      typeof entry === "object" &&
      entry !== null &&
      ["variable", "claim", "variableValue", "claimValue"].every((key) => typeof (entry as Record<string, unknown>)[key] === "string"),
  );
}
export type FactsSource = "oidc-token" | "external-oidc-token" | "environment" | "local" | "service-oidc-token";

export const HOSTED_BUILD_TYPES: readonly string[] = [
  BUILD_TYPES.github,
  BUILD_TYPES.gitlab,
  BUILD_TYPES.jenkins,
  BUILD_TYPES.azurePipelines,
];
