import { ProvenantError, type ProvenanceFields } from "@provenant/core";
import { jenkinsProvenance } from "../provenance/provenance.js";
import { type JenkinsFacts, type JenkinsScm, REF_VARIABLES } from "./types.js";
import { present, publicUrl, readScm, SCM_VARIABLES, wholeNumber, withTrailingSlash } from "./variables.js";

/**
 * A fixed-text claim template naming the ref claims configured as
 * *Optional*. Since oidc-provider 170.x a template whose variable the build
 * lacks aborts token creation, unless the template is marked Optional, which
 * omits the claim instead (the plugin's ClaimTemplate help-optional.html).
 * An omitted claim and one never configured look alike in the token; this
 * claim tells them apart: a ref claim it names that is missing means the
 * build has no such variable. Fixed text, so it never aborts.
 */
export const REF_CLAIMS_MARKER = "provenant_ref_claims";

/** The ref claims a token's marker says are configured (as Optional). */
function markedRefClaims(claims: Readonly<Record<string, unknown>>): Set<string> {
  const marker = claims[REF_CLAIMS_MARKER];
  if (typeof marker !== "string") return new Set();
  return new Set(marker.split(/[\s,]+/).filter((name) => name !== ""));
}

/** Claims named after the variables, lower case: `git_url` for `GIT_URL`. */
function claimLookup(claims: Readonly<Record<string, unknown>>) {
  const known = new Set<string>(SCM_VARIABLES);
  return (name: string) => (known.has(name) || name === "GIT_URL_1" ? present(claims[name.toLowerCase()]) : undefined);
}

/** True when the token carries the checkout (`git_url` and `git_commit` claims). */
export function claimsHaveCheckout(claims: Readonly<Record<string, unknown>>): boolean {
  return present(claims.git_url) !== undefined && present(claims.git_commit) !== undefined;
}

/**
 * The checkout an ID token vouches for, from the build claim templates of
 * docs/buildtypes/jenkins-v1.md. Before 170.x the plugin sends every
 * configured template, unexpanded when the build lacks the variable. Since
 * then such a template aborts, or, when Optional, is left out; the marker
 * says which were configured so. Any other missing claim was never
 * configured, and its absence says nothing (`unclaimed`).
 */
export function scmFromClaims(claims: Readonly<Record<string, unknown>>): JenkinsScm {
  const scm = readScm(claimLookup(claims), "ID token");
  const marked = markedRefClaims(claims);
  const unclaimed = REF_VARIABLES.filter((name) => !Object.hasOwn(claims, name.toLowerCase()) && !marked.has(name.toLowerCase()));
  return unclaimed.length > 0 ? { ...scm, unclaimed } : scm;
}

/** What the controller's token says about who it was issued to. */
export interface JenkinsClaimsIdentity {
  /** The controller (builder id), with a trailing slash. */
  controllerUrl: string;
  /** The job's URL (`sub`), normalised like JOB_URL. */
  jobUrl: string;
  /** The job's full name (`JOB_NAME`), read from its URL: `acme/app/main`. */
  jobName: string;
  /** For a folder issuer: the folder's URL, which holds the job. */
  folderUrl?: string;
}

export interface JenkinsClaimsProvenance {
  identity: JenkinsClaimsIdentity;
  facts: JenkinsFacts;
  provenance: ProvenanceFields;
}

const ISSUER_FORM = /^(https?:\/\/.+\/)oidc((?:\/job\/[^/?#]+)*)$/;

/**
 * Provenance from a verified Jenkins ID token's claims alone — no
 * environment, no API — for the signing service: the same facts the local
 * path reads from the token (`jenkinsFacts`), put through the same
 * `jenkinsProvenance`, so both write the same buildDefinition and
 * runDetails. What only variables would add (node, executor, build id and
 * tag, causes and parameters from the JSON API) is left out, never guessed.
 *
 * The controller is the issuer's: the OIDC Provider plugin serves its
 * issuers at `<JENKINS_URL>oidc` and `<JENKINS_URL>oidc/job/<folder>…`; an
 * issuer of another form needs `controllerUrl`, which the service's
 * configuration gives. The token must name a job of that controller
 * (`sub`, the plugin's default `${JOB_URL}`), inside the folder of a folder
 * issuer, its build (`build_number`) and the checkout (`git_url`,
 * `git_commit`); anything less is refused, as the service has nothing else
 * to take them from.
 */
export function jenkinsProvenanceFromClaims(
  claims: Readonly<Record<string, unknown>>,
  options: { controllerUrl?: string } = {},
): JenkinsClaimsProvenance {
  const issuer = typeof claims.iss === "string" ? claims.iss : undefined;
  if (issuer === undefined) throw new ProvenantError("TOKEN_INVALID", "the Jenkins ID token has no iss claim");
  const form = ISSUER_FORM.exec(issuer);
  const configured = options.controllerUrl ? withTrailingSlash(publicUrl(options.controllerUrl, "the controller URL")) : undefined;
  const controllerUrl = configured ?? (form ? withTrailingSlash(publicUrl(form[1]!, "the issuer")) : undefined);
  if (controllerUrl === undefined) {
    throw new ProvenantError(
      "USAGE",
      `the Jenkins issuer ${issuer} is not <JENKINS_URL>oidc[/job/<folder>…], so the controller cannot be read from it; configure the controller's URL (serverUrl) for this issuer`,
    );
  }
  // Only an issuer of the plugin's own form under this controller names a folder.
  const folderPath = form && withTrailingSlash(form[1]!) === controllerUrl ? form[2] : undefined;
  const folderUrl = folderPath ? `${controllerUrl}${folderPath.slice(1)}/` : undefined;

  const sub = typeof claims.sub === "string" ? claims.sub : "";
  if (!/^https?:\/\//.test(sub)) {
    throw new ProvenantError(
      "PLATFORM_FACTS_MISSING",
      `the Jenkins ID token's sub is not a job URL; keep the OIDC Provider plugin's default sub template \${JOB_URL}`,
    );
  }
  const jobUrl = withTrailingSlash(publicUrl(sub, "the ID token's sub"));
  if (/[?#]/.test(jobUrl)) {
    throw new ProvenantError("TOKEN_INVALID", "the Jenkins ID token's sub has a query or fragment; expected a job URL as JOB_URL spells it");
  }
  if (!jobUrl.startsWith(controllerUrl)) {
    throw new ProvenantError("TOKEN_INVALID", `the ID token was issued to ${jobUrl}, which is not a job of the controller ${controllerUrl}`);
  }
  if (folderUrl !== undefined && !jobUrl.startsWith(folderUrl)) {
    // The plugin only hands a build the credentials of folders holding its job.
    throw new ProvenantError("TOKEN_INVALID", `the ID token was issued to job ${jobUrl}, outside the folder ${folderUrl} of its issuer`);
  }
  const jobName = jobNameOf(jobUrl.slice(controllerUrl.length), jobUrl);
  const buildNumberClaim = present(claims.build_number);
  if (buildNumberClaim === undefined) {
    throw new ProvenantError(
      "PLATFORM_FACTS_MISSING",
      `the Jenkins ID token has no build_number claim; keep the OIDC Provider plugin's default build_number template \${BUILD_NUMBER}`,
    );
  }
  const buildNumber = wholeNumber(buildNumberClaim, "the ID token's build_number");
  if (!claimsHaveCheckout(claims)) {
    throw new ProvenantError(
      "PLATFORM_FACTS_MISSING",
      "the Jenkins ID token has no git_url/git_commit claims, so it does not say what was built; add the build claim templates of docs/buildtypes/jenkins-v1.md",
    );
  }
  const facts: JenkinsFacts = {
    controllerUrl,
    jobName,
    jobUrl,
    buildUrl: `${jobUrl}${buildNumber}/`,
    buildNumber,
    scm: scmFromClaims(claims),
    tokenIssuer: issuer,
    factsSource: "oidc-token",
  };
  return { identity: { controllerUrl, jobUrl, jobName, ...(folderUrl ? { folderUrl } : {}) }, facts, provenance: jenkinsProvenance(facts) };
}

/**
 * A job's full name from its URL below the controller: `job/<name>` pairs,
 * with `view/<name>` pairs (multibranch tag and change-request views) in
 * between. Names are URL-encoded once in the URL (a branch `feature/x` is
 * the item `feature%2Fx`, in its URL `feature%252Fx`), so decoding each
 * segment once gives JOB_NAME's spelling.
 */
function jobNameOf(path: string, jobUrl: string): string {
  const segments = path.replace(/\/$/, "").split("/");
  const names: string[] = [];
  for (let i = 0; i < segments.length; i += 2) {
    const [kind, name] = [segments[i], segments[i + 1]];
    if ((kind !== "job" && kind !== "view") || !name) {
      throw new ProvenantError("PLATFORM_FACTS_MISSING", `the ID token's sub ${jobUrl} is not a job URL (job/<name>/… below the controller)`);
    }
    if (kind === "job") {
      try {
        names.push(decodeURIComponent(name));
      } catch {
        throw new ProvenantError("PLATFORM_FACTS_MISSING", `the ID token's sub ${jobUrl} has a malformed percent-encoding`);
      }
    }
  }
  if (names.length === 0) throw new ProvenantError("PLATFORM_FACTS_MISSING", `the ID token's sub ${jobUrl} names no job`);
  return names.join("/");
}
