/**
 * Environments of Azure Pipelines jobs. Names and value shapes follow
 * learn.microsoft.com "Use predefined variables" (Build.Repository.Uri of an
 * Azure Repos repository carries the organization as user name; Build.Reason
 * values IndividualCI, PullRequest, Manual; Agent.Name "Azure Pipelines 3" on
 * Microsoft-hosted agents). Ids are made up.
 */
export const AZURE_REPOS_CI_ENV = {
  TF_BUILD: "True",
  SYSTEM_COLLECTIONURI: "https://dev.azure.com/acme/",
  SYSTEM_TEAMFOUNDATIONCOLLECTIONURI: "https://dev.azure.com/acme/",
  SYSTEM_COLLECTIONID: "2f1a8a52-4c2e-4f7b-9c0d-6d4a0e3b1c11",
  SYSTEM_TEAMPROJECT: "Payments Platform",
  SYSTEM_TEAMPROJECTID: "7d9e1c3a-0b5f-4e2d-8a61-93c2b4f0e7aa",
  SYSTEM_DEFINITIONID: "42",
  BUILD_DEFINITIONNAME: "payments-api-ci",
  BUILD_BUILDID: "1234",
  BUILD_BUILDNUMBER: "20261122.3",
  BUILD_REASON: "IndividualCI",
  BUILD_REPOSITORY_URI: "https://acme@dev.azure.com/acme/Payments%20Platform/_git/payments-api",
  BUILD_REPOSITORY_PROVIDER: "TfsGit",
  BUILD_REPOSITORY_NAME: "payments-api",
  BUILD_REPOSITORY_ID: "c0ffee00-1111-4222-8333-944445555666",
  BUILD_SOURCEVERSION: "3f786850e387550fdab836ed7e6dc881de23001b",
  BUILD_SOURCEBRANCH: "refs/heads/main",
  AGENT_NAME: "Azure Pipelines 3",
  AGENT_ID: "9",
  AGENT_OS: "Linux",
  SYSTEM_JOBID: "12f1170f-54f2-53f3-20dd-22fc7dff55f9",
  SYSTEM_PLANID: "a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d",
  SYSTEM_TIMELINEID: "a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d",
  SYSTEM_OIDCREQUESTURI:
    "https://dev.azure.com/acme/7d9e1c3a-0b5f-4e2d-8a61-93c2b4f0e7aa/_apis/distributedtask/hubs/build/plans/a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d/jobs/12f1170f-54f2-53f3-20dd-22fc7dff55f9/oidctoken",
} as const;

export const GITHUB_PR_ENV = {
  ...AZURE_REPOS_CI_ENV,
  BUILD_REASON: "PullRequest",
  BUILD_REPOSITORY_URI: "https://github.com/acme/payments-api.git",
  BUILD_REPOSITORY_PROVIDER: "GitHub",
  BUILD_REPOSITORY_NAME: "acme/payments-api",
  BUILD_SOURCEVERSION: "9fceb02d0ae598e95dc970b74767f19372d61af8",
  BUILD_SOURCEBRANCH: "refs/pull/17/merge",
  AGENT_NAME: "build-rack-07",
  AGENT_ID: "31",
} as const;

/**
 * Claims of a pipeline token, in the shape Azure DevOps issues (org_id, prj_id, def_id, rpo_*, run_id),
 * with the issuer Azure DevOps names: the test issuer signs them, and `vstokenDiscovery` stands in for
 * the issuer's discovery document.
 */
export function pipelineClaims(env: Record<string, string>) {
  return {
    iss: `https://vstoken.dev.azure.com/${env.SYSTEM_COLLECTIONID}`,
    sub: `p://acme/${env.SYSTEM_TEAMPROJECT}/${env.BUILD_DEFINITIONNAME}`,
    org_id: env.SYSTEM_COLLECTIONID,
    prj_id: env.SYSTEM_TEAMPROJECTID,
    def_id: env.SYSTEM_DEFINITIONID,
    rpo_id: env.BUILD_REPOSITORY_ID,
    rpo_uri: "https://dev.azure.com/acme/Payments%20Platform/_git/payments-api",
    rpo_ref: env.BUILD_SOURCEBRANCH,
    rpo_ver: env.BUILD_SOURCEVERSION,
    run_id: env.BUILD_BUILDID,
  };
}
