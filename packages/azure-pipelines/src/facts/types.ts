import type { FactsSource } from "@provenant/core";

/**
 * Everything the Azure Pipelines buildType records, gathered at the edge
 * (predefined variables, the pipeline's OIDC token, the Build REST API) and
 * handed to the pure `azurePipelinesProvenance(facts)`.
 */
export interface AzurePipelinesFacts {
  /** `System.CollectionUri` with one trailing slash, e.g. `https://dev.azure.com/acme/`. */
  collectionUri: string;
  /** Organization (or Azure DevOps Server collection) name, e.g. `acme`. */
  organization: string;
  /** `org_id` of the token, else `System.CollectionId`. */
  organizationId?: string;
  project: string;
  projectId?: string;
  definition: {
    id: string;
    name?: string;
    /** Definition revision the build ran, from the Build API. */
    revision?: number;
    /** Path of the YAML file in the repository, from the Build API. */
    yamlPath?: string;
  };
  build: {
    id: string;
    number?: string;
    /** `Build.Reason`: Manual, IndividualCI, BatchedCI, Schedule, PullRequest, ResourceTrigger, ... */
    reason?: string;
    requestedFor?: string;
    queueTime?: Date;
    startTime?: Date;
    finishTime?: Date;
    /** Runtime parameters of a YAML pipeline (`parameters:`), from the Build API. */
    templateParameters?: Record<string, string>;
  };
  repository: {
    /** `https://host/path` without credentials. */
    url: string;
    /** `Build.Repository.Provider`: TfsGit, GitHub, GitHubEnterprise, Bitbucket, Git. */
    provider?: string;
    name?: string;
    id?: string;
  };
  /** Full ref: `refs/heads/main`, `refs/tags/v1.2.0`, `refs/pull/7/merge`. */
  ref: string;
  commit: string;
  agent: {
    name?: string;
    id?: string;
    os?: string;
    /** Whether this job's pool is Microsoft-hosted: Queues - Get of the queue its Timeline record names. */
    hosted?: boolean;
  };
  job: {
    id?: string;
    name?: string;
    planId?: string;
    timelineId?: string;
  };
  factsSource: Extract<FactsSource, "oidc-token" | "environment">;
  /** The issuer the token was verified against (`https://vstoken.dev.azure.com/<org id>`); only with `oidc-token`. */
  tokenIssuer?: string;
  provenantVersion?: string;
}
