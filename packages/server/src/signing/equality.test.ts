import { generateKeyPairSync } from "node:crypto";
import { FACTS_SOURCE_FIELD, keySigner, type ProvenanceFields } from "@provenant/core";
import { adapter as githubAdapter } from "@provenant/github";
import { adapter as gitlabAdapter } from "@provenant/gitlab";
import { startTestIssuer, type TestIssuer } from "@provenant/oidc/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gitlabJobClaims, JOB_COMMIT } from "../test-support/job-claims.js";
import { type SigningDeps, signingDepsWithDefaults, signProvenance } from "./sign-provenance.js";

// Issue 16 section 4: the same claims, through the adapter's local path (the
// job verifies its own token and builds the provenance) and through the
// signing service (the server verifies the token and builds it from the
// claims alone), give the same buildDefinition and runDetails, apart from
// the facts source. Both paths verify a real token of a local issuer on
// 127.0.0.1 (discovery, JWKS); nothing is mocked.
const NOW = new Date("2026-12-01T12:00:00Z");
const nowSeconds = NOW.getTime() / 1000;
const AUDIENCE = "provenant-signing";
const subjects = [{ name: "app.tgz", digest: { sha256: "c".repeat(64) } }];

let github: TestIssuer;
let gitlab: TestIssuer;
let service: SigningDeps;

beforeAll(async () => {
  [github, gitlab] = await Promise.all([startTestIssuer(), startTestIssuer({ jwksPath: "/oauth/discovery/keys" })]);
  service = signingDepsWithDefaults({
    config: {
      trustedIssuers: [
        { issuer: github.issuer, platform: "github", serverUrl: "https://github.com", audiences: [AUDIENCE], repositories: ["acme/*"] },
        { issuer: gitlab.issuer, platform: "gitlab", audiences: [AUDIENCE], repositories: ["acme/*"] },
      ],
    },
    signer: keySigner(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey),
    clock: () => NOW,
  });
});
afterAll(async () => {
  await Promise.all([github?.close(), gitlab?.close()]);
});

const times = { iat: nowSeconds - 5, nbf: nowSeconds - 5, exp: nowSeconds + 300 };

/** Where two values differ, as dotted paths (arrays compared whole). */
function differences(a: unknown, b: unknown, path = ""): string[] {
  if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].sort().flatMap((key) => differences((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], path ? `${path}.${key}` : key));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [path];
}

/** The strings and numbers inside a value. */
function leaves(value: unknown): unknown[] {
  return value && typeof value === "object" ? Object.values(value).flatMap(leaves) : [value];
}

const localContext = (env: Record<string, string>, options: Record<string, string>, warnings: string[]) => ({
  env,
  cwd: process.cwd(),
  fetch: globalThis.fetch,
  warn: (message: string) => void warnings.push(message),
  now: () => NOW,
  options,
});

async function fromService(issuer: TestIssuer, claims: Record<string, unknown>): Promise<ProvenanceFields> {
  const signed = await signProvenance({ token: await issuer.sign(claims, { audience: AUDIENCE }), subjects }, service);
  return signed.provenance;
}

describe("local adapter path and signing service give the same provenance", () => {
  it("GitHub Actions: identical apart from the facts source and the local attestation time", async () => {
    // GitHub Actions' documented ID token claims for a push to main.
    const claims = {
      sub: "repo:acme/app:ref:refs/heads/main",
      ref: "refs/heads/main",
      sha: JOB_COMMIT,
      repository: "acme/app",
      repository_owner: "acme",
      repository_id: "123",
      repository_owner_id: "456",
      run_id: "7543891234",
      run_number: "12",
      run_attempt: "1",
      actor: "octocat",
      workflow: "release",
      event_name: "push",
      ref_type: "branch",
      workflow_ref: "acme/app/.github/workflows/release.yml@refs/heads/main",
      job_workflow_ref: "acme/app/.github/workflows/release.yml@refs/heads/main",
      job_workflow_sha: JOB_COMMIT,
      runner_environment: "github-hosted",
      ...times,
    };
    github.setTokenEndpointClaims(claims);
    const warnings: string[] = [];
    // The runner's token endpoint, and nothing else: no GITHUB_TOKEN, so no API call.
    const env = { GITHUB_SERVER_URL: "https://github.com", ACTIONS_ID_TOKEN_REQUEST_URL: github.tokenUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: github.requestToken };
    const local = await githubAdapter.collect(localContext(env, { tokenAudience: AUDIENCE, tokenIssuer: github.issuer }, warnings));
    const served = await fromService(github, claims);

    expect(local.runDetails.metadata?.[FACTS_SOURCE_FIELD]).toBe("oidc-token");
    expect(served.runDetails.metadata?.[FACTS_SOURCE_FIELD]).toBe("service-oidc-token");
    // finishedOn is when the job attested locally; the service's bundle carries its own signing time.
    expect(local.runDetails.metadata?.finishedOn).toBe(NOW.toISOString());
    expect(differences(local, served)).toEqual(["runDetails.metadata.finishedOn", `runDetails.metadata.${FACTS_SOURCE_FIELD}`]);
    expect(served.buildDefinition).toEqual(local.buildDefinition);
    expect(served.runDetails.builder).toEqual(local.runDetails.builder);
    // The only warning: the local issuer is not GitHub's own.
    expect(warnings.filter((w) => !w.includes(`verified against ${github.issuer}`))).toEqual([]);
  });

  describe("GitLab CI", () => {
    const host = () => new URL(gitlab.issuer).host;

    it("identical apart from the facts source when the job's variables add nothing", async () => {
      const claims = { ...gitlabJobClaims(host()), ...times };
      const env = { CI_SERVER_URL: gitlab.issuer, PROVENANT_ID_TOKEN: await gitlab.sign(claims, { audience: AUDIENCE }), PROVENANT_GITLAB_API: "false" };
      const warnings: string[] = [];
      const local = await gitlabAdapter.collect(localContext(env, { tokenAudience: AUDIENCE }, warnings));
      const served = await fromService(gitlab, claims);

      expect(local.runDetails.metadata?.[FACTS_SOURCE_FIELD]).toBe("oidc-token");
      expect(served.runDetails.metadata?.[FACTS_SOURCE_FIELD]).toBe("service-oidc-token");
      expect(differences(local, served)).toEqual([`runDetails.metadata.${FACTS_SOURCE_FIELD}`]);
      expect(served.runDetails.builder.id).toBe(`${gitlab.issuer}/-/runners/gitlab-hosted`);
      expect(warnings).toEqual([]);
    });

    it("with GitLab's predefined variables, only what variables alone say differs; every identity field is the same", async () => {
      const claims = { ...gitlabJobClaims(host()), ...times };
      // Variables agreeing with the claims, plus the ones no claim carries.
      const env = {
        CI_SERVER_URL: gitlab.issuer,
        PROVENANT_ID_TOKEN: await gitlab.sign(claims, { audience: AUDIENCE }),
        PROVENANT_GITLAB_API: "false",
        CI_PROJECT_PATH: "acme/app",
        CI_PROJECT_ID: "22",
        CI_PROJECT_NAMESPACE: "acme",
        CI_COMMIT_SHA: JOB_COMMIT,
        CI_COMMIT_REF_NAME: "main",
        CI_COMMIT_BRANCH: "main",
        CI_COMMIT_REF_PROTECTED: "true",
        CI_PIPELINE_ID: "1001",
        CI_PIPELINE_SOURCE: "push",
        CI_JOB_ID: "5006",
        CI_RUNNER_ID: "12",
        GITLAB_USER_LOGIN: "jdoe",
        CI_CONFIG_PATH: ".gitlab-ci.yml",
        CI_JOB_NAME: "provenant-attest",
        CI_JOB_STAGE: "attest",
        CI_JOB_STARTED_AT: "2026-12-01T11:58:00Z",
        CI_RUNNER_DESCRIPTION: "shared runner 3",
        CI_RUNNER_VERSION: "18.5.0",
        CI_SERVER_VERSION: "18.6.0",
      };
      const warnings: string[] = [];
      const local = await gitlabAdapter.collect(localContext(env, { tokenAudience: AUDIENCE }, warnings));
      const served = await fromService(gitlab, claims);

      const differing = differences(local, served);
      // Nothing the source convention, the builder or the invocation reads may differ.
      for (const path of ["buildDefinition.buildType", "buildDefinition.resolvedDependencies", "runDetails.builder.id", "runDetails.metadata.invocationId"]) {
        expect(differing.filter((d) => d === path || d.startsWith(`${path}.`)), path).toEqual([]);
      }
      expect(served.buildDefinition.resolvedDependencies).toEqual(local.buildDefinition.resolvedDependencies);
      expect(served.runDetails.builder.id).toBe(local.runDetails.builder.id);
      // What differs is the facts source and values that only the job's variables hold (never guessed by the service).
      const variableValues = [env.CI_JOB_NAME, env.CI_JOB_STAGE, "2026-12-01T11:58:00.000Z", env.CI_JOB_STARTED_AT, env.CI_RUNNER_DESCRIPTION, env.CI_RUNNER_VERSION, env.CI_SERVER_VERSION];
      for (const path of differing.filter((d) => d !== `runDetails.metadata.${FACTS_SOURCE_FIELD}`)) {
        const servedValue = path.split(".").reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], served);
        const localValue = path.split(".").reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], local);
        expect(servedValue, `${path}: the service leaves it out`).toBeUndefined();
        for (const value of leaves(localValue)) expect(variableValues, `${path}: a value only a variable holds`).toContain(value);
      }
      expect(differing).toContain(`runDetails.metadata.${FACTS_SOURCE_FIELD}`);
      expect(differing.length).toBeGreaterThan(1);
      // The variables agreed with the token: nothing to warn about or record as a disagreement.
      expect(warnings).toEqual([]);
    });
  });
});
