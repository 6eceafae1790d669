import { type CollectContext, ProvenantError } from "@provenant/core";
import { type BuildApiFacts, type BuildApiRequest, readBuildApi } from "./enrich.js";
import { AZURE_TOKEN_AUDIENCE, azureTokenIssuer, type PipelineClaims, requestPipelineToken, verifyPipelineToken } from "./token.js";
import type { AzurePipelinesFacts } from "./types.js";
import { GUID, oidcRequestUriProblem, type ServicesCollection, servicesCollectionOf } from "./services-url.js";
import { normalizeCollectionUri, organizationOf, type PipelineVariables, readPipelineVariables, repositoryUrlOf } from "./variables.js";

/** Options the CLI passes through `context.options`, or the attest task sets. */
export interface AzureCollectOptions {
  /** Expected `aud` of the pipeline token; default `api://AzureADTokenExchange`. */
  tokenAudience?: string;
  /** Read a ready-made ID token from this variable instead of requesting one. */
  tokenVariable?: string;
  provenantVersion?: string;
}

const COMMIT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

const SERVICES_FORMS = "https://dev.azure.com/<organization>/ or https://<organization>.visualstudio.com/";

async function pipelineToken(
  context: CollectContext,
  variables: PipelineVariables,
  services: ServicesCollection | undefined,
  options: AzureCollectOptions,
): Promise<string | undefined> {
  if (options.tokenVariable) {
    const token = context.env[options.tokenVariable]?.trim();
    if (!token) {
      throw new ProvenantError(
        "PLATFORM_FACTS_MISSING",
        `the token variable ${options.tokenVariable} is empty; expected the pipeline's OIDC ID token in it`,
      );
    }
    context.mask?.(token);
    return token;
  }
  const accessToken = context.env.SYSTEM_ACCESSTOKEN?.trim();
  if (!variables.oidcRequestUri) return undefined;
  if (!accessToken) {
    context.warn(
      "SYSTEM_ACCESSTOKEN is not mapped, so no OIDC token can be requested; the provenance records environment facts only (SLSA Build L1). Add `env: { SYSTEM_ACCESSTOKEN: $(System.AccessToken) }` to the step.",
    );
    return undefined;
  }
  // The access token goes out before any verified fact is in hand, so where it
  // goes is decided by host alone: a step can rewrite both variables.
  if (!services) {
    context.warn(
      `SYSTEM_COLLECTIONURI is ${variables.collectionUri}, not an Azure DevOps Services organization (${SERVICES_FORMS}), so the job access token was not sent and no OIDC token requested; the provenance records environment facts only (SLSA Build L1)`,
    );
    return undefined;
  }
  const problem = oidcRequestUriProblem(variables.oidcRequestUri, services);
  if (problem) {
    context.warn(
      `SYSTEM_OIDCREQUESTURI ${problem}, so the job access token was not sent and no OIDC token requested; the provenance records environment facts only (SLSA Build L1)`,
    );
    return undefined;
  }
  let token: string;
  try {
    token = await requestPipelineToken(variables.oidcRequestUri, accessToken, context.fetch);
  } catch (error) {
    // No token to be had (an older server, a token without the scope) is the
    // environment case; a token that comes back and fails verification is not.
    context.warn(`${(error as Error).message}; the provenance records environment facts only (SLSA Build L1)`);
    return undefined;
  }
  context.mask?.(token);
  return token;
}

/**
 * `builder.id` names the collection URI, which a step could change; a
 * verified token's subject (`p://<org>/<project>/<pipeline>`, or
 * `sc://<org>/...` for a service connection) names the organization it was
 * issued to, so the collection URI must be that organization's Services URL.
 */
function checkTokenOrganization(claims: PipelineClaims, collectionUri: string, services: ServicesCollection | undefined): void {
  if (!services) {
    throw new ProvenantError(
      "TOKEN_INVALID",
      `SYSTEM_COLLECTIONURI is ${collectionUri}, but a verified OIDC token comes only from Azure DevOps Services; expected ${SERVICES_FORMS}`,
    );
  }
  const subject = typeof claims.sub === "string" ? /^[a-z]+:\/\/([^/]+)\//i.exec(claims.sub) : null;
  if (!subject) {
    throw new ProvenantError("TOKEN_INVALID", `the OIDC token's sub is ${claims.sub ?? "missing"}; expected p://<organization>/<project>/<pipeline>`);
  }
  if (decodeURIComponent(subject[1]!).toLowerCase() !== services.organization.toLowerCase()) {
    throw new ProvenantError(
      "TOKEN_INVALID",
      `SYSTEM_COLLECTIONURI names organization ${services.organization} but the OIDC token was issued to ${subject[1]} (sub ${claims.sub}); expected the same organization`,
    );
  }
}

/** Claims win over variables; a disagreement means a step changed a variable, so say so. */
function claimOverVariable(context: CollectContext, claim: string | undefined, variable: string | undefined, name: string) {
  if (claim !== undefined && variable !== undefined && claim.toLowerCase() !== variable.toLowerCase()) {
    context.warn(`${name} is ${variable} but the verified OIDC token says ${claim}; recording the token's value`);
  }
  return claim ?? variable;
}

function required(values: Record<string, string | undefined>): Record<string, string> {
  const missing = Object.entries(values)
    .filter(([, value]) => value === undefined)
    .map(([name]) => name);
  if (missing.length > 0) {
    throw new ProvenantError(
      "PLATFORM_FACTS_MISSING",
      `not an Azure Pipelines job, or the agent did not set ${missing.join(", ")}; expected the predefined variables of a pipeline job`,
    );
  }
  return values as Record<string, string>;
}

async function buildApiFacts(
  context: CollectContext,
  collectionUri: string,
  services: ServicesCollection | undefined,
  request: Omit<BuildApiRequest, "collectionUri"> | undefined,
): Promise<BuildApiFacts> {
  if (!request) {
    context.warn("SYSTEM_ACCESSTOKEN is not mapped; the Build API was not read (no requested-for, times, template parameters or pool kind)");
    return {};
  }
  if (!services) {
    context.warn(
      `SYSTEM_COLLECTIONURI is ${collectionUri}, not an Azure DevOps Services organization (${SERVICES_FORMS}); the job access token is sent nowhere else, so the Build API was not read (no requested-for, times, template parameters or pool kind)`,
    );
    return {};
  }
  try {
    return await readBuildApi({ ...request, collectionUri: services.collectionUri }, { warn: context.warn });
  } catch (cause) {
    context.warn(
      `cannot read the Build API at ${services.collectionUri}: ${(cause as Error).message}; recording the predefined variables only`,
    );
    return {};
  }
}

const WHOLE_GUID = new RegExp(`^${GUID}$`, "i");

/**
 * The one issuer whose tokens count: Azure DevOps signs every organization's
 * pipeline tokens as `https://vstoken.dev.azure.com/<org id>`, and has no
 * sovereign-cloud instance of its own (Azure Government and 21Vianet are
 * targets of service connections, not other issuers of pipeline tokens).
 * There is deliberately no override: task inputs, variables and CLI flags
 * are all set by the pipeline being described, and a pipeline that could
 * name its own issuer could mint "verified" facts for any organization.
 * Tests keep this code path and answer the discovery request through
 * `context.fetch` instead, which only code running inside the attesting
 * process can replace (and such code could sign anything with the key).
 */
function expectedIssuer(variables: PipelineVariables): { issuer: string; organizationId: string } {
  const organizationId = variables.collectionId;
  if (!organizationId) {
    throw new ProvenantError("PLATFORM_FACTS_MISSING", "SYSTEM_COLLECTIONID is not set; expected the organization id that names the token issuer");
  }
  if (!WHOLE_GUID.test(organizationId)) {
    throw new ProvenantError("PLATFORM_FACTS_MISSING", `SYSTEM_COLLECTIONID is ${organizationId}; expected the organization id, a GUID`);
  }
  return { issuer: azureTokenIssuer(organizationId), organizationId };
}

/** The issuer is per organization, so the token's org_id must be the one its issuer names. */
function checkTokenOrganizationId(claims: PipelineClaims, organizationId: string) {
  if (claims.org_id.toLowerCase() !== organizationId.toLowerCase()) {
    throw new ProvenantError(
      "TOKEN_INVALID",
      `the OIDC token's org_id is ${claims.org_id} but its issuer names organization ${organizationId}; expected the same organization id`,
    );
  }
}

/**
 * Gathers an Azure Pipelines job's facts: predefined variables, then the
 * verified OIDC token's claims over them, then the Build API.
 */
export async function collectAzurePipelinesFacts(
  context: CollectContext,
  explicit: AzureCollectOptions = {},
): Promise<AzurePipelinesFacts> {
  const options: AzureCollectOptions = {
    tokenAudience: context.options.tokenAudience,
    tokenVariable: context.options.tokenVariable,
    ...explicit,
  };
  const variables = readPipelineVariables(context.env);
  if (variables.repositoryProvider === "TfsVersionControl") {
    throw new ProvenantError(
      "PLATFORM_FACTS_MISSING",
      "the pipeline builds a TFVC repository, which has no git commit; Provenant records git sources only",
    );
  }
  const collectionUri = variables.collectionUri === undefined ? undefined : normalizeCollectionUri(variables.collectionUri);
  const services = collectionUri === undefined ? undefined : servicesCollectionOf(collectionUri);
  const token = await pipelineToken(context, variables, services, options);
  let claims: PipelineClaims | undefined;
  let tokenIssuer: string | undefined;
  if (token) {
    const expected = expectedIssuer(variables);
    claims = await verifyPipelineToken(token, {
      issuer: expected.issuer,
      audience: options.tokenAudience ?? AZURE_TOKEN_AUDIENCE,
      fetch: context.fetch,
      now: context.now,
    });
    checkTokenOrganizationId(claims, expected.organizationId);
    checkTokenOrganization(claims, collectionUri ?? "not set", services);
    tokenIssuer = expected.issuer;
  }

  const facts = required({
    SYSTEM_COLLECTIONURI: variables.collectionUri,
    SYSTEM_TEAMPROJECT: variables.project,
    SYSTEM_DEFINITIONID: claimOverVariable(context, claims?.def_id, variables.definitionId, "SYSTEM_DEFINITIONID"),
    BUILD_BUILDID: claimOverVariable(context, claims?.run_id, variables.buildId, "BUILD_BUILDID"),
    BUILD_REPOSITORY_URI: claims?.rpo_uri ?? variables.repositoryUri,
    BUILD_SOURCEBRANCH: claimOverVariable(context, claims?.rpo_ref, variables.sourceBranch, "BUILD_SOURCEBRANCH"),
    BUILD_SOURCEVERSION: claimOverVariable(context, claims?.rpo_ver, variables.sourceVersion, "BUILD_SOURCEVERSION"),
  });
  const commit = facts.BUILD_SOURCEVERSION!.toLowerCase();
  if (!COMMIT.test(commit)) {
    throw new ProvenantError("PLATFORM_FACTS_MISSING", `BUILD_SOURCEVERSION is ${commit}; expected a git commit (40 or 64 hex characters)`);
  }
  if (!/^\d+$/.test(facts.BUILD_BUILDID!)) {
    throw new ProvenantError("PLATFORM_FACTS_MISSING", `BUILD_BUILDID is ${facts.BUILD_BUILDID}; expected a number`);
  }
  const repositoryUrl = repositoryUrlOf(facts.BUILD_REPOSITORY_URI!, claims ? "the token's rpo_uri" : "BUILD_REPOSITORY_URI");
  if (claims && variables.repositoryUri) {
    const fromVariable = repositoryUrlOf(variables.repositoryUri, "BUILD_REPOSITORY_URI");
    claimOverVariable(context, repositoryUrl, fromVariable, "BUILD_REPOSITORY_URI");
  }
  const accessToken = context.env.SYSTEM_ACCESSTOKEN?.trim();
  const api = await buildApiFacts(
    context,
    facts.SYSTEM_COLLECTIONURI!,
    services,
    accessToken
      ? {
          project: facts.SYSTEM_TEAMPROJECT!,
          buildId: Number(facts.BUILD_BUILDID),
          ...(/^\d+$/.test(facts.SYSTEM_DEFINITIONID!) ? { definitionId: Number(facts.SYSTEM_DEFINITIONID) } : {}),
          ...(variables.jobId ? { jobId: variables.jobId } : {}),
          accessToken,
        }
      : undefined,
  );

  return {
    collectionUri: collectionUri!,
    organization: services?.organization ?? organizationOf(collectionUri!),
    organizationId: claimOverVariable(context, claims?.org_id, variables.collectionId, "SYSTEM_COLLECTIONID"),
    project: facts.SYSTEM_TEAMPROJECT!,
    projectId: claimOverVariable(context, claims?.prj_id, variables.projectId, "SYSTEM_TEAMPROJECTID"),
    definition: {
      id: facts.SYSTEM_DEFINITIONID!,
      name: variables.definitionName,
      revision: api.definitionRevision,
      yamlPath: api.yamlPath,
    },
    build: {
      id: facts.BUILD_BUILDID!,
      number: variables.buildNumber,
      reason: api.reason ?? variables.reason,
      requestedFor: api.requestedFor,
      queueTime: api.queueTime,
      startTime: api.startTime,
      finishTime: api.finishTime,
      templateParameters: api.templateParameters,
    },
    repository: {
      url: repositoryUrl,
      provider: variables.repositoryProvider,
      name: variables.repositoryName,
      id: claims?.rpo_id ?? variables.repositoryId,
    },
    ref: facts.BUILD_SOURCEBRANCH!,
    commit,
    agent: {
      name: variables.agentName ?? api.agentName,
      id: variables.agentId,
      os: variables.agentOs,
      hosted: api.hosted,
    },
    job: {
      id: variables.jobId,
      name: api.jobName ?? variables.jobName,
      planId: variables.planId,
      timelineId: variables.timelineId,
    },
    factsSource: claims ? "oidc-token" : "environment",
    ...(tokenIssuer ? { tokenIssuer } : {}),
    provenantVersion: options.provenantVersion,
  };
}
