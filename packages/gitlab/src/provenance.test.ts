import {
  attest,
  BUILD_TYPES,
  FACTS_SOURCE_FIELD,
  generateKeyPair,
  isProvenantError,
  keySigner,
  parseProvenance,
  privateKeyFromPem,
  publicKeyFromPem,
  sourceOf,
  verify,
} from "@provenant/core";
import { describe, expect, it } from "vitest";
import { parseGitLabClaims } from "./claims.js";
import { factsFromToken, factsFromVariables } from "./facts.js";
import {
  COMMIT,
  claimsFor,
  GITLAB_COM_BRANCH,
  MERGE_REQUEST,
  FORK_PROJECT,
  MERGE_REQUEST_FROM_FORK,
  MERGE_REQUEST_IN_FORK,
  OTHER_COMMIT,
  claimsSince18_2_2,
  SCHEDULED,
  SELF_MANAGED_TAG,
} from "./fixtures.js";
import { DISAGREEMENTS_FIELD, gitlabProvenance } from "./provenance.js";

const noWarnings = (message: string) => {
  throw new Error(`unexpected warning: ${message}`);
};

function fromVariables(env: Record<string, string | undefined>) {
  return gitlabProvenance(factsFromVariables(env, noWarnings));
}

function fromToken(env: Record<string, string | undefined>, claims = claimsFor(env)) {
  const serverUrl = env.CI_SERVER_URL!;
  return gitlabProvenance(factsFromToken(env, serverUrl, parseGitLabClaims({ iss: serverUrl, ...claims }), noWarnings));
}

describe("gitlabProvenance on documented variables", () => {
  it("records a gitlab.com branch pipeline by the source convention", () => {
    const provenance = fromVariables(GITLAB_COM_BRANCH);
    expect(provenance.buildDefinition.buildType).toBe("https://provenant.dev/buildtypes/gitlab-ci/v1");
    expect(provenance.buildDefinition.externalParameters).toEqual({
      repository: "https://gitlab.com/acme/app",
      ref: "refs/heads/main",
      config: { path: ".gitlab-ci.yml" },
      job: "build",
      pipelineSource: "push",
    });
    expect(provenance.buildDefinition.resolvedDependencies?.[0]).toEqual({
      uri: "git+https://gitlab.com/acme/app@refs/heads/main",
      digest: { gitCommit: COMMIT },
    });
    expect(provenance.runDetails.metadata).toEqual({
      invocationId: "https://gitlab.com/acme/app/-/jobs/5005",
      startedOn: "2025-03-05T10:02:11Z",
      [FACTS_SOURCE_FIELD]: "environment",
    });
    // Without a verified token nothing proves the runner is GitLab's.
    expect(provenance.runDetails.builder.id).toBe("https://gitlab.com/-/runners/self-hosted");
    expect(provenance.runDetails.builder.version).toEqual({ gitlab: "18.6.0-pre", "gitlab-runner": "18.5.0" });
    expect(provenance.buildDefinition.internalParameters).toMatchObject({
      serverUrl: "https://gitlab.com",
      project: { path: "acme/app", id: "278964", namespacePath: "acme" },
      pipeline: { id: "1001", url: "https://gitlab.com/acme/app/-/pipelines/1001" },
      job: { id: "5005", stage: "build" },
      refProtected: true,
      triggeredBy: "jdoe",
    });
    expect(() => parseProvenance(provenance)).not.toThrow();
  });

  it("keeps a self-managed instance's relative URL root and port, and reads a tag", () => {
    const provenance = fromVariables(SELF_MANAGED_TAG);
    expect(provenance.buildDefinition.resolvedDependencies?.[0]?.uri).toBe(
      "git+https://gitlab.corp.example:8443/gitlab/platform/team/svc@refs/tags/v1.2.0",
    );
    const source = sourceOf(parseProvenance(provenance));
    expect(source).toMatchObject({
      repository: "gitlab.corp.example:8443/gitlab/platform/team/svc",
      tag: "v1.2.0",
      commit: COMMIT,
    });
    expect(provenance.runDetails.builder.id).toBe("https://gitlab.corp.example:8443/gitlab/-/runners/self-hosted");
    expect(provenance.buildDefinition.externalParameters.config).toEqual({ path: "ci/release.yml" });
    expect(provenance.runDetails.metadata?.startedOn).toBe("2025-04-01T08:00:00+02:00");
  });

  it("records a merge request pipeline under the merge request's ref, never as a branch", () => {
    const provenance = fromVariables(MERGE_REQUEST);
    const source = sourceOf(parseProvenance(provenance));
    expect(source).toMatchObject({ ref: "refs/merge-requests/17/head", commit: COMMIT });
    expect(source?.branch).toBeUndefined();
    expect(provenance.buildDefinition.externalParameters.pipelineSource).toBe("merge_request_event");
    expect(provenance.buildDefinition.internalParameters?.mergeRequest).toEqual({
      iid: "17",
      sourceBranch: "feature/login",
      targetBranch: "main",
      projectPath: "acme/app",
      sourceProjectPath: "acme/app",
      sourceProjectUrl: "https://gitlab.com/acme/app",
      eventType: "detached",
    });
    expect(provenance.buildDefinition.internalParameters?.refProtected).toBe(false);
  });

  it("records a merged-results or merge-train commit under the ref that holds it", () => {
    const merged = fromVariables({ ...MERGE_REQUEST, CI_MERGE_REQUEST_EVENT_TYPE: "merged_result" });
    expect(merged.buildDefinition.externalParameters.ref).toBe("refs/merge-requests/17/merge");
    const train = fromVariables({ ...MERGE_REQUEST, CI_MERGE_REQUEST_EVENT_TYPE: "merge_train" });
    expect(train.buildDefinition.externalParameters.ref).toBe("refs/merge-requests/17/train");
  });

  it("names no ref, with a warning, for a merge request pipeline without a usable CI_MERGE_REQUEST_IID", () => {
    for (const iid of [undefined, "17/../../heads/main"]) {
      const warnings: string[] = [];
      const facts = factsFromVariables({ ...MERGE_REQUEST, CI_MERGE_REQUEST_IID: iid }, (m) => warnings.push(m));
      expect(facts.ref).toBeUndefined();
      expect(warnings.join()).toMatch(/CI_MERGE_REQUEST_IID/);
    }
  });

  it("records a scheduled pipeline as such", () => {
    const provenance = fromVariables(SCHEDULED);
    expect(provenance.buildDefinition.externalParameters.pipelineSource).toBe("schedule");
    expect(provenance.buildDefinition.externalParameters.ref).toBe("refs/heads/main");
    expect(provenance.runDetails.metadata?.invocationId).toBe("https://gitlab.com/acme/app/-/jobs/5006");
    expect(provenance.buildDefinition.internalParameters?.triggeredBy).toBe("schedule-owner");
  });

  it("never copies a variable it was not told to read", () => {
    const text = JSON.stringify(fromVariables(GITLAB_COM_BRANCH));
    expect(text).not.toContain(GITLAB_COM_BRANCH.CI_JOB_TOKEN);
    expect(text).not.toContain(GITLAB_COM_BRANCH.DEPLOY_PASSWORD);
  });

  it("names the missing variable when the job is not a GitLab job", () => {
    const { CI_COMMIT_SHA: _, ...withoutSha } = GITLAB_COM_BRANCH;
    const error = (() => {
      try {
        fromVariables(withoutSha);
      } catch (e) {
        return e;
      }
    })();
    expect(isProvenantError(error, "PLATFORM_FACTS_MISSING")).toBe(true);
    expect((error as Error).message).toContain("CI_COMMIT_SHA");
  });

  it("refuses a commit that is not a hex object id", () => {
    expect(() => fromVariables({ ...GITLAB_COM_BRANCH, CI_COMMIT_SHA: "main" })).toThrow(/CI_COMMIT_SHA/);
  });

  it("leaves out a start time that is not RFC 3339, with a warning", () => {
    const warnings: string[] = [];
    const facts = factsFromVariables({ ...GITLAB_COM_BRANCH, CI_JOB_STARTED_AT: "yesterday" }, (m) => warnings.push(m));
    expect(gitlabProvenance(facts).runDetails.metadata?.startedOn).toBeUndefined();
    expect(warnings.join()).toMatch(/CI_JOB_STARTED_AT/);
  });
});

describe("gitlabProvenance on verified token claims", () => {
  it("marks token facts and names a GitLab-hosted builder", () => {
    const provenance = fromToken(GITLAB_COM_BRANCH);
    expect(provenance.runDetails.metadata?.[FACTS_SOURCE_FIELD]).toBe("oidc-token");
    expect(provenance.runDetails.builder.id).toBe("https://gitlab.com/-/runners/gitlab-hosted");
    expect(provenance.buildDefinition.externalParameters.config).toEqual({
      path: ".gitlab-ci.yml",
      refUri: "gitlab.com/acme/app//.gitlab-ci.yml@refs/heads/main",
    });
    expect(provenance.buildDefinition.resolvedDependencies?.[1]).toEqual({
      uri: "git+https://gitlab.com/acme/app@refs/heads/main",
      digest: { gitCommit: COMMIT },
      name: "ci-config",
    });
    expect(provenance.buildDefinition.internalParameters?.runner).toMatchObject({ id: "12270837", environment: "gitlab-hosted" });
  });

  it("distinguishes a self-hosted runner by the token's runner_environment", () => {
    const provenance = fromToken(SELF_MANAGED_TAG, { ...claimsFor(SELF_MANAGED_TAG), runner_environment: "self-hosted" });
    expect(provenance.runDetails.builder.id).toBe("https://gitlab.corp.example:8443/gitlab/-/runners/self-hosted");
    expect(provenance.buildDefinition.externalParameters.ref).toBe("refs/tags/v1.2.0");
  });

  it("records a merge request pipeline under the merge request's ref though the token's ref_path names its source branch", () => {
    const claims = claimsFor(MERGE_REQUEST);
    expect(claims).toMatchObject({ ref: "feature/login", ref_type: "branch", ref_path: "refs/heads/feature/login" });
    const provenance = fromToken(MERGE_REQUEST, claims);
    expect(provenance.buildDefinition.externalParameters.ref).toBe("refs/merge-requests/17/head");
    expect(provenance.buildDefinition.resolvedDependencies?.map((d) => d.uri)).toEqual([
      "git+https://gitlab.com/acme/app@refs/merge-requests/17/head",
      "git+https://gitlab.com/acme/app@refs/merge-requests/17/head",
    ]);
    // GitLab's own claim, kept as issued.
    expect(provenance.buildDefinition.externalParameters.config).toMatchObject({ refUri: "gitlab.com/acme/app//.gitlab-ci.yml@refs/heads/feature/login" });
  });

  it("a fork's main proposed to the project does not pass a policy for the project's main", async () => {
    const keys = generateKeyPair("ecdsa-p256");
    const digest = "d".repeat(64);
    // GitLab's claims for that job: this project's path, the fork's commit and branch name.
    const claims = claimsFor(MERGE_REQUEST_FROM_FORK);
    expect(claims).toMatchObject({ project_path: "acme/app", sha: OTHER_COMMIT, ref_path: "refs/heads/main" });
    const provenance = fromToken(MERGE_REQUEST_FROM_FORK, claims);
    expect(JSON.stringify(provenance.buildDefinition.resolvedDependencies)).not.toContain("refs/heads/");
    const signer = keySigner(privateKeyFromPem(keys.privateKeyPem));
    const { bundle } = await attest([{ name: "app.tar.gz", digest: { sha256: digest } }], provenance, signer);
    const report = verify(bundle, {
      trustedKeys: [{ publicKey: publicKeyFromPem(keys.publicKeyPem) }],
      artifactDigests: [{ sha256: digest }],
      policy: { sourceUri: "gitlab.com/acme/app", sourceBranch: "main" },
    });
    expect(report.verified).toBe(false);
    expect(provenance.buildDefinition.internalParameters?.mergeRequest).toMatchObject({ iid: "23", sourceProjectPath: "contributor/app", sourceBranch: "main" });
  });

  it("composes the full ref from ref and ref_type when the token has no ref_path", () => {
    const { ref_path: _, ...claims } = claimsFor(SELF_MANAGED_TAG);
    expect(fromToken(SELF_MANAGED_TAG, claims).buildDefinition.externalParameters.ref).toBe("refs/tags/v1.2.0");
  });

  it("lets the token win over a rewritten CI_COMMIT_SHA and records the disagreement", () => {
    const env = { ...GITLAB_COM_BRANCH, CI_COMMIT_SHA: OTHER_COMMIT };
    const provenance = fromToken(env, claimsFor(GITLAB_COM_BRANCH));
    expect(provenance.buildDefinition.resolvedDependencies?.[0]?.digest).toEqual({ gitCommit: COMMIT });
    expect(provenance.runDetails.metadata?.[DISAGREEMENTS_FIELD]).toEqual([
      { variable: "CI_COMMIT_SHA", claim: "sha", variableValue: OTHER_COMMIT, claimValue: COMMIT },
    ]);
  });

  it("builds the invocation URL from claims, not from a rewritten CI_JOB_URL", () => {
    const provenance = fromToken({ ...GITLAB_COM_BRANCH, CI_JOB_URL: "https://evil.example/jobs/1" }, claimsFor(GITLAB_COM_BRANCH));
    expect(provenance.runDetails.metadata?.invocationId).toBe("https://gitlab.com/acme/app/-/jobs/5005");
  });

  it("signs into a bundle that verifies at SLSA Build L2 against a source policy", async () => {
    const keys = generateKeyPair("ecdsa-p256");
    const digest = "c".repeat(64);
    const signer = keySigner(privateKeyFromPem(keys.privateKeyPem));
    const { bundle } = await attest([{ name: "app.tar.gz", digest: { sha256: digest } }], fromToken(GITLAB_COM_BRANCH), signer);
    const report = verify(bundle, {
      trustedKeys: [{ publicKey: publicKeyFromPem(keys.publicKeyPem) }],
      artifactDigests: [{ sha256: digest }],
      policy: {
        buildType: BUILD_TYPES.gitlab,
        builderId: "https://gitlab.com/-/runners/gitlab-hosted",
        sourceUri: "gitlab.com/acme/*",
        sourceBranch: "main",
        minimumLevel: 2,
      },
    });
    expect(report.verified).toBe(true);
    expect(report.slsaLevel.level).toBe(2);
  });
});

/** Signs the provenance for one artifact and verifies it against a policy with core's verify, as `provenant verify` does. */
async function verifyAgainst(provenance: ReturnType<typeof gitlabProvenance>, policy: Parameters<typeof verify>[1]["policy"]) {
  const keys = generateKeyPair("ecdsa-p256");
  const digest = "e".repeat(64);
  const { bundle } = await attest([{ name: "app.tar.gz", digest: { sha256: digest } }], provenance, keySigner(privateKeyFromPem(keys.privateKeyPem)));
  return verify(bundle, { trustedKeys: [{ publicKey: publicKeyFromPem(keys.publicKeyPem) }], artifactDigests: [{ sha256: digest }], policy });
}

describe("merge requests from forks (docs/buildtypes/gitlab-ci-v1.md, Merge requests from forks)", () => {
  const gitlabHosted = "https://gitlab.com/-/runners/gitlab-hosted";

  it("a pipeline run in the fork records the fork's branch, which exists there, not the target's merge request ref", () => {
    // Token of GitLab 18.2.2 or later: run in the fork, project_* and job_project_* both name it.
    const claims = claimsSince18_2_2(MERGE_REQUEST_IN_FORK, FORK_PROJECT);
    expect(claims).toMatchObject({ project_path: "contributor/app", job_project_path: "contributor/app", ref_path: "refs/heads/main" });
    const provenance = fromToken(MERGE_REQUEST_IN_FORK, claims);
    expect(provenance.buildDefinition.resolvedDependencies?.[0]).toEqual({
      uri: "git+https://gitlab.com/contributor/app@refs/heads/main",
      digest: { gitCommit: OTHER_COMMIT },
    });
    expect(provenance.runDetails.metadata?.invocationId).toBe("https://gitlab.com/contributor/app/-/jobs/7007");
    expect(provenance.runDetails.builder.id).toBe(gitlabHosted);
    expect(provenance.runDetails.metadata?.[DISAGREEMENTS_FIELD]).toBeUndefined();
    expect(provenance.buildDefinition.internalParameters?.mergeRequest).toEqual({
      iid: "23",
      sourceBranch: "main",
      targetBranch: "main",
      projectPath: "acme/app",
      sourceProjectPath: "contributor/app",
      sourceProjectUrl: "https://gitlab.com/contributor/app",
      eventType: "detached",
    });
  });

  it("records the same for a pipeline run in the fork from an older instance's token and from variables alone", () => {
    const expected = { uri: "git+https://gitlab.com/contributor/app@refs/heads/main", digest: { gitCommit: OTHER_COMMIT } };
    // Before 18.2.2 a fork pipeline's token names the fork in project_*; no job_project_*.
    const old = fromToken(MERGE_REQUEST_IN_FORK, claimsFor(MERGE_REQUEST_IN_FORK));
    expect(old.buildDefinition.resolvedDependencies?.[0]).toEqual(expected);
    expect(old.runDetails.metadata?.[DISAGREEMENTS_FIELD]).toBeUndefined();
    const variables = fromVariables(MERGE_REQUEST_IN_FORK);
    expect(variables.buildDefinition.resolvedDependencies?.[0]).toEqual(expected);
    expect(variables.runDetails.metadata?.invocationId).toBe("https://gitlab.com/contributor/app/-/jobs/7007");
    expect(variables.runDetails.builder.id).toBe("https://gitlab.com/-/runners/self-hosted");
  });

  it("fork code passes the fork's own branch policy and fails every policy of the target project", async () => {
    const provenance = fromToken(MERGE_REQUEST_IN_FORK, claimsSince18_2_2(MERGE_REQUEST_IN_FORK, FORK_PROJECT));
    const own = await verifyAgainst(provenance, { builderId: gitlabHosted, sourceUri: "gitlab.com/contributor/app", sourceBranch: "main", minimumLevel: 2 });
    expect(own.verified).toBe(true);
    for (const policy of [
      { sourceUri: "gitlab.com/acme/app", sourceBranch: "main" },
      { sourceUri: "gitlab.com/acme/*" },
      { sourceUri: "gitlab.com/acme/app", minimumLevel: 2 },
    ]) {
      expect((await verifyAgainst(provenance, policy)).verified, JSON.stringify(policy)).toBe(false);
    }
  });

  it("a token since 18.2.2 in the parent project: the job's project from job_project_*, the fork kept as the source", async () => {
    const claims = claimsSince18_2_2(MERGE_REQUEST_FROM_FORK, FORK_PROJECT);
    expect(claims).toMatchObject({ project_path: "contributor/app", job_project_path: "acme/app" });
    const provenance = fromToken(MERGE_REQUEST_FROM_FORK, claims);
    expect(provenance.buildDefinition.resolvedDependencies?.[0]).toEqual({
      uri: "git+https://gitlab.com/acme/app@refs/merge-requests/23/head",
      digest: { gitCommit: OTHER_COMMIT },
    });
    expect(provenance.runDetails.metadata?.invocationId).toBe("https://gitlab.com/acme/app/-/jobs/5005");
    expect(provenance.buildDefinition.internalParameters?.pipeline).toEqual({ id: "1001", url: "https://gitlab.com/acme/app/-/pipelines/1001" });
    expect(provenance.buildDefinition.internalParameters?.project).toEqual({ path: "acme/app", id: "278964", namespacePath: "acme" });
    expect(provenance.runDetails.builder.id).toBe(gitlabHosted);
    // CI_PROJECT_* are right: they name the job's project, as job_project_* do.
    expect(provenance.runDetails.metadata?.[DISAGREEMENTS_FIELD]).toBeUndefined();
    expect(provenance.buildDefinition.internalParameters?.mergeRequest).toMatchObject({
      projectPath: "acme/app",
      sourceProjectPath: "contributor/app",
      sourceProjectUrl: "https://gitlab.com/contributor/app",
    });
    expect((await verifyAgainst(provenance, { builderId: gitlabHosted, sourceUri: "gitlab.com/acme/app", minimumLevel: 2 })).verified).toBe(true);
    expect((await verifyAgainst(provenance, { sourceUri: "gitlab.com/acme/app", sourceBranch: "main" })).verified).toBe(false);
  });

  it("an older instance's token in the parent project (project_* name the job's project) records the same", () => {
    const claims = claimsFor(MERGE_REQUEST_FROM_FORK);
    expect(claims).not.toHaveProperty("job_project_path");
    const provenance = fromToken(MERGE_REQUEST_FROM_FORK, claims);
    expect(provenance.buildDefinition.resolvedDependencies?.[0]?.uri).toBe("git+https://gitlab.com/acme/app@refs/merge-requests/23/head");
    expect(provenance.runDetails.metadata?.invocationId).toBe("https://gitlab.com/acme/app/-/jobs/5005");
    expect(provenance.runDetails.metadata?.[DISAGREEMENTS_FIELD]).toBeUndefined();
    // Without job_project_* the token does not say which project is the source: the variable does.
    expect(provenance.buildDefinition.internalParameters?.mergeRequest).toMatchObject({ sourceProjectPath: "contributor/app" });
  });

  it("a token from 18.2.2 before job_project_* (project_path the fork, in the parent) is recorded as the token says, with a warning", () => {
    const { job_project_path: _p, job_project_id: _i, job_namespace_path: _n, ...claims } = claimsSince18_2_2(MERGE_REQUEST_FROM_FORK, FORK_PROJECT);
    const warnings: string[] = [];
    const facts = factsFromToken(MERGE_REQUEST_FROM_FORK, "https://gitlab.com", parseGitLabClaims({ iss: "https://gitlab.com", ...claims }), (m) => warnings.push(m));
    const provenance = gitlabProvenance(facts);
    expect(provenance.buildDefinition.resolvedDependencies?.[0]?.uri).toBe("git+https://gitlab.com/contributor/app@refs/heads/main");
    expect(warnings).toEqual([expect.stringContaining("has no job_project_path claim")]);
    expect(provenance.runDetails.metadata?.[DISAGREEMENTS_FIELD]).toEqual([
      { variable: "CI_PROJECT_PATH", claim: "project_path", variableValue: "acme/app", claimValue: "contributor/app" },
      { variable: "CI_PROJECT_ID", claim: "project_id", variableValue: "278964", claimValue: "999" },
      { variable: "CI_PROJECT_NAMESPACE", claim: "namespace_path", variableValue: "acme", claimValue: "contributor" },
    ]);
  });

  it("compares CI_PROJECT_* and the merge request's source project with the claims that name them", () => {
    const env = {
      ...MERGE_REQUEST_FROM_FORK,
      CI_PROJECT_PATH: "acme/other",
      CI_PROJECT_ID: "1",
      CI_MERGE_REQUEST_SOURCE_PROJECT_PATH: "acme/app",
    };
    const provenance = fromToken(env, claimsSince18_2_2(MERGE_REQUEST_FROM_FORK, FORK_PROJECT));
    expect(provenance.runDetails.metadata?.[DISAGREEMENTS_FIELD]).toEqual([
      { variable: "CI_PROJECT_PATH", claim: "job_project_path", variableValue: "acme/other", claimValue: "acme/app" },
      { variable: "CI_PROJECT_ID", claim: "job_project_id", variableValue: "1", claimValue: "278964" },
      { variable: "CI_MERGE_REQUEST_SOURCE_PROJECT_PATH", claim: "project_path", variableValue: "acme/app", claimValue: "contributor/app" },
    ]);
    // The claims won.
    expect(provenance.runDetails.metadata?.invocationId).toBe("https://gitlab.com/acme/app/-/jobs/5005");
    expect(provenance.buildDefinition.internalParameters?.mergeRequest).toMatchObject({ sourceProjectPath: "contributor/app" });
  });
});

describe("docs/buildtypes/gitlab-ci-v1.md", () => {
  it("documents every field the adapter writes", async () => {
    const { readFile } = await import("node:fs/promises");
    const doc = await readFile(new URL("../../../docs/buildtypes/gitlab-ci-v1.md", import.meta.url), "utf8");
    const env = { ...MERGE_REQUEST, CI_ENVIRONMENT_NAME: "review/feature-login" };
    const serverUrl = env.CI_SERVER_URL;
    const facts = factsFromToken(
      { ...env, CI_COMMIT_SHA: OTHER_COMMIT },
      serverUrl,
      parseGitLabClaims({ iss: "https://oidc.gitlab.example", ...claimsFor(MERGE_REQUEST), environment: "review/feature-login" }),
      () => {},
      "https://oidc.gitlab.example",
    );
    const provenance = gitlabProvenance({
      ...facts,
      api: {
        jobCreatedAt: "2025-03-05T10:01:58Z",
        jobStartedAt: "2025-03-05T10:02:11Z",
        pipelineCreatedAt: "2025-03-05T10:01:57Z",
        pipelineStartedAt: "2025-03-05T10:01:59Z",
        pipelineFinishedAt: "2025-03-05T10:09:00Z",
        runnerType: "instance_type",
        runnerShared: true,
        triggeredBy: "jdoe",
      },
    });
    // Leaf paths as a reader looks them up: `internalParameters.job.createdAt`,
    // not a bare `createdAt` that another table documents for another object.
    const paths = (value: unknown, prefix: string, stopAt: string[] = []): string[] =>
      value && typeof value === "object" && !Array.isArray(value)
        ? Object.entries(value).flatMap(([key, inner]) =>
            stopAt.includes(key) ? [`${prefix}.${key}`] : paths(inner, `${prefix}.${key}`, stopAt),
          )
        : [prefix];
    const written = [
      ...paths(provenance.buildDefinition.externalParameters, "externalParameters"),
      ...paths(provenance.buildDefinition.internalParameters, "internalParameters"),
      ...paths(provenance.runDetails, "runDetails", [DISAGREEMENTS_FIELD]),
    ];
    // What the doc's tables name: the backticked paths in each row's first cell.
    const documented = doc
      .split("\n")
      .filter((line) => line.startsWith("|"))
      .flatMap((line) => [...(line.split("|")[1] ?? "").matchAll(/`([^`]+)`/g)].map((m) => m[1]!))
      .filter((path) => /^(externalParameters|internalParameters|runDetails)\./.test(path));
    expect(written.filter((path) => !documented.includes(path))).toEqual([]);
    // And the other way: a documented path the adapter never writes is a stale or mistyped row.
    expect(documented.filter((path) => !written.includes(path))).toEqual([]);
  });
});
