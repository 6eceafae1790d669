import type { CollectContext } from "@provenant/core";
import { ProvenantError } from "@provenant/core";
import { API_TOKEN_VARIABLE, API_USER_VARIABLE, fetchBuildDetails } from "./build-api.js";
import { claimsHaveCheckout, REF_CLAIMS_MARKER, scmFromClaims } from "./from-claims.js";
import { configuredIssuer, DEFAULT_AUDIENCE, issuerFor, readIdToken, verifyJenkinsToken } from "./token.js";
import { isRefParameter, resolveSourceRef } from "../provenance/ref.js";
import { type JenkinsBuildDetails, type JenkinsFacts, type JenkinsScm, REF_VARIABLES } from "./types.js";
import {
  environmentLookup,
  present,
  publicUrl,
  readScm,
  requireVariable,
  wholeNumber,
  withTrailingSlash,
} from "./variables.js";

/**
 * Reads a Jenkins build's facts: its variables, the OIDC Provider plugin's
 * ID token when one is bound, and the JSON API when a user API token is.
 */
export async function jenkinsFacts(context: CollectContext): Promise<JenkinsFacts> {
  const lookup = environmentLookup(context.env);
  const controllerUrl = withTrailingSlash(publicUrl(requireVariable(lookup, "JENKINS_URL", "the controller's root URL"), "JENKINS_URL"));
  const buildUrl = withTrailingSlash(publicUrl(requireVariable(lookup, "BUILD_URL", "the build's URL"), "BUILD_URL"));
  const jobName = requireVariable(lookup, "JOB_NAME", "the job's full name");
  const buildNumber = wholeNumber(requireVariable(lookup, "BUILD_NUMBER", "the build number"), "BUILD_NUMBER");
  const jobUrlValue = lookup("JOB_URL");
  const executor = lookup("EXECUTOR_NUMBER");
  const optional = {
    jobUrl: jobUrlValue ? withTrailingSlash(publicUrl(jobUrlValue, "JOB_URL")) : undefined,
    buildId: lookup("BUILD_ID"),
    buildTag: lookup("BUILD_TAG"),
    nodeName: lookup("NODE_NAME"),
    executorNumber: executor !== undefined ? wholeNumber(executor, "EXECUTOR_NUMBER") : undefined,
  };

  const identity = await tokenIdentity(context, controllerUrl, optional.jobUrl, buildNumber);
  const details = await buildDetails(context, controllerUrl, buildUrl);
  const scm = withRefParameters(identity?.scm ?? readScm(lookup, "environment"), details);
  const refWarning = resolveSourceRef(scm).warning;
  if (refWarning) context.warn(refWarning);

  return {
    controllerUrl,
    jobName,
    buildUrl,
    buildNumber,
    ...Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined)),
    ...(identity?.jobUrl ? { jobUrl: identity.jobUrl } : {}),
    scm,
    ...(details ? { details } : {}),
    ...(identity ? { tokenIssuer: identity.issuer } : {}),
    factsSource: identity?.scm ? (identity.external ? "external-oidc-token" : "oidc-token") : "environment",
  };
}

/**
 * Only the JSON API tells parameters from the variables Jenkins sets itself:
 * in the environment both look the same. Without it a parameter named
 * `TAG_NAME` goes unnoticed (docs/buildtypes/jenkins-v1.md says so).
 */
function withRefParameters(scm: JenkinsScm, details: JenkinsBuildDetails | undefined): JenkinsScm {
  const refParameters = details?.parameterNames.filter(isRefParameter) ?? [];
  return refParameters.length > 0 ? { ...scm, refParameters } : scm;
}

interface TokenIdentity {
  issuer: string;
  /** Not one of the controller's own issuers: its facts support L1 only. */
  external: boolean;
  jobUrl?: string;
  /** Set only when the token carries the checkout, which makes the facts token-backed. */
  scm?: JenkinsScm;
}

const CLAIM_TEMPLATES_HINT =
  `add build claim templates git_url=\${GIT_URL} and git_commit=\${GIT_COMMIT} ` +
  `(and, for the ref, tag_name=\${TAG_NAME}, change_id=\${CHANGE_ID}, branch_name=\${BRANCH_NAME}, git_branch=\${GIT_BRANCH} marked Optional, ` +
  `with ${REF_CLAIMS_MARKER}="${REF_VARIABLES.map((name) => name.toLowerCase()).join(" ")}") ` +
  "in Manage Jenkins » Security » OpenID Connect to make the source token-backed (docs/buildtypes/jenkins-v1.md)";

/**
 * Verifies the bound ID token and reads the identity it vouches for: the job
 * (`sub`, by default `${JOB_URL}`), the build (`build_number`) and, when the
 * administrator added claim templates named after the Git variables, the
 * checkout. The plugin expands templates from the build's own environment,
 * which a build step cannot change; the process environment it can.
 */
async function tokenIdentity(
  context: CollectContext,
  controllerUrl: string,
  jobUrl: string | undefined,
  buildNumber: number,
): Promise<TokenIdentity | undefined> {
  const token = await readIdToken(context.env, context.cwd, context.options.tokenVariable);
  if (token === undefined) return undefined;
  const choice = issuerFor(configuredIssuer(context.env, context.options.tokenIssuer, context.warn), controllerUrl, jobUrl);
  if (choice.external) {
    // Verified all the same, so a token the issuer did not sign still fails;
    // but a build that names the issuer may hold its key, so whatever the
    // token says is recorded as coming from an issuer of the build's choosing.
    context.warn(
      `the ID token is verified against the external issuer ${choice.issuer}: ${choice.reason}. ` +
        `Facts from its claims are recorded as external-oidc-token, which supports SLSA Build L1 only`,
    );
  }
  const { issuer } = choice;
  const folderUrl = choice.external ? undefined : choice.folderUrl;
  const claims = await verifyJenkinsToken(token, {
    issuer,
    audience: context.options.tokenAudience || DEFAULT_AUDIENCE,
    fetch: context.fetch,
    now: context.now,
  });

  const subject = String(claims.sub);
  // Compared in the same normal form as JOB_URL (no user info, trailing slash).
  const subjectJobUrl = /^https?:\/\//.test(subject) ? withTrailingSlash(publicUrl(subject, "the ID token's sub")) : undefined;
  if (subjectJobUrl !== undefined && jobUrl !== undefined && subjectJobUrl !== jobUrl) {
    throw new ProvenantError("TOKEN_INVALID", `the ID token was issued to job ${subjectJobUrl}, but this build belongs to ${jobUrl}`);
  }
  if (subjectJobUrl !== undefined && folderUrl !== undefined && !subjectJobUrl.startsWith(folderUrl)) {
    // The plugin only hands a build the credentials of folders holding its job.
    throw new ProvenantError("TOKEN_INVALID", `the ID token was issued to job ${subjectJobUrl}, outside the folder ${folderUrl} of its issuer`);
  }
  const tokenBuild = present(claims.build_number);
  if (tokenBuild !== undefined && tokenBuild !== String(buildNumber)) {
    throw new ProvenantError("TOKEN_INVALID", `the ID token was issued to build #${tokenBuild}, but this is build #${buildNumber}`);
  }
  if (subjectJobUrl === undefined) {
    context.warn(`the ID token's sub is not a job URL (keep the default \${JOB_URL} template); facts are recorded as coming from the environment`);
    return { issuer, external: choice.external };
  }
  const identity: TokenIdentity = { issuer, external: choice.external, jobUrl: subjectJobUrl };
  if (!claimsHaveCheckout(claims)) {
    context.warn(`the ID token has no git_url/git_commit claims, so the source comes from environment variables (SLSA Build L1); ${CLAIM_TEMPLATES_HINT}`);
    return identity;
  }
  identity.scm = scmFromClaims(claims);
  const envCommit = context.env.GIT_COMMIT?.trim().toLowerCase();
  if (envCommit && envCommit !== identity.scm.commit) {
    context.warn(`GIT_COMMIT (${envCommit}) differs from the ID token's git_commit (${identity.scm.commit}); recording the token's`);
  }
  return identity;
}


async function buildDetails(context: CollectContext, controllerUrl: string, buildUrl: string): Promise<JenkinsBuildDetails | undefined> {
  const user = context.env[API_USER_VARIABLE]?.trim();
  const apiToken = context.env[API_TOKEN_VARIABLE]?.trim();
  if (!user || !apiToken) return undefined;
  // Any step can set BUILD_URL: the user's API token goes only to the
  // controller it belongs to. Both end in `/`, so the prefix ends at a host or
  // path boundary (`https://ci.example.com.evil/` and `/jenkins-other/` fail).
  if (!buildUrl.startsWith(controllerUrl)) {
    context.warn(
      `no causes or parameters recorded: BUILD_URL (${buildUrl}) is not under JENKINS_URL (${controllerUrl}), ` +
        `so ${API_TOKEN_VARIABLE} is not sent to it`,
    );
    return undefined;
  }
  try {
    return await fetchBuildDetails(buildUrl, { user, apiToken }, context.fetch);
  } catch (error) {
    context.warn(`no causes or parameters recorded: ${(error as Error).message}`);
    return undefined;
  }
}
