import { BUILD_TYPES, isProvenantError, parseProvenance, sourceOf } from "@provenant/core";
import { describe, expect, it } from "vitest";
import { jenkinsFacts } from "../facts/collect.js";
import type { JenkinsFacts } from "../facts/types.js";
import { collectContext } from "../test-fixtures/context.js";
import { COMMIT, freestyle, multibranch, pipeline, pullRequest, tag } from "../test-fixtures/environments.js";
import { jenkinsProvenance } from "./provenance.js";

async function provenanceOf(env: Record<string, string>) {
  const context = collectContext(env);
  const provenance = parseProvenance(jenkinsProvenance(await jenkinsFacts(context)));
  return { provenance, warnings: context.warnings };
}

describe("jenkinsProvenance on Jenkins build environments", () => {
  it("freestyle job: origin/main becomes refs/heads/main, the controller is the builder", async () => {
    const { provenance, warnings } = await provenanceOf(freestyle);
    expect(warnings).toEqual([]);
    expect(provenance).toEqual({
      buildDefinition: {
        buildType: BUILD_TYPES.jenkins,
        externalParameters: {
          job: { name: "app-build", url: "https://ci.example.com/job/app-build/" },
          source: { repository: "https://github.com/acme/app", ref: "refs/heads/main" },
        },
        internalParameters: { buildNumber: 17, buildId: "17", buildTag: "jenkins-app-build-17", node: "built-in", executor: 1 },
        resolvedDependencies: [{ uri: "git+https://github.com/acme/app@refs/heads/main", digest: { gitCommit: COMMIT } }],
      },
      runDetails: {
        builder: { id: "https://ci.example.com/" },
        metadata: { invocationId: "https://ci.example.com/job/app-build/17/", provenant_factsSource: "environment" },
      },
    });
  });

  it("pipeline job in a folder: a branch with a slash keeps it", async () => {
    const { provenance } = await provenanceOf(pipeline);
    expect(sourceOf(provenance)).toMatchObject({ repository: "github.com/acme/app", branch: "release/2.x", commit: COMMIT });
    expect(provenance.buildDefinition.externalParameters.job).toEqual({
      name: "platform/app-release",
      url: "https://ci.example.com/job/platform/job/app-release/",
    });
    expect(provenance.buildDefinition.internalParameters).toMatchObject({ node: "linux-agent-3", executor: 0 });
  });

  it("multibranch branch job: BRANCH_NAME is the branch", async () => {
    const { provenance } = await provenanceOf(multibranch);
    expect(sourceOf(provenance)).toMatchObject({ ref: "refs/heads/main", branch: "main" });
    expect(provenance.runDetails.metadata?.invocationId).toBe("https://ci.example.com/job/acme/job/app/job/main/42/");
  });

  it("tag build: TAG_NAME becomes refs/tags/…", async () => {
    const { provenance } = await provenanceOf(tag);
    expect(sourceOf(provenance)).toMatchObject({ ref: "refs/tags/v1.4.0", tag: "v1.4.0" });
    expect(provenance.buildDefinition.resolvedDependencies?.[0]?.uri).toBe("git+https://github.com/acme/app@refs/tags/v1.4.0");
  });

  it("pull request build: records the change and claims no branch, so branch policies do not pass it", async () => {
    const { provenance } = await provenanceOf(pullRequest);
    const source = sourceOf(provenance);
    expect(source).toMatchObject({ repository: "github.com/acme/app", commit: COMMIT });
    expect(source?.branch).toBeUndefined();
    expect(source?.ref).toBeUndefined();
    expect(provenance.buildDefinition.externalParameters.change).toEqual({
      id: "12",
      url: "https://github.com/acme/app/pull/12",
      target: "main",
      branch: "feature/login",
    });
  });

  it.each([
    ["git@github.com:acme/app.git", "https://github.com/acme/app"],
    ["ssh://git@git.example.com:7999/platform/app.git", "https://git.example.com/platform/app"],
    ["git+ssh://jenkins@git.example.com/platform/app", "https://git.example.com/platform/app"],
  ])("ssh remote %s is recorded as %s", async (remote, expected) => {
    const { provenance } = await provenanceOf({ ...freestyle, GIT_URL: remote });
    expect(sourceOf(provenance)?.uri).toBe(expected);
    expect(provenance.buildDefinition.externalParameters.source).toEqual({ repository: expected, ref: "refs/heads/main" });
  });

  it("a credentialed remote never reaches the provenance or a warning", async () => {
    const { provenance, warnings } = await provenanceOf({
      ...multibranch,
      GIT_URL: "https://jenkins-bot:glpat-S3CRETtoken@gitlab.example.com:8443/acme/app.git",
      JENKINS_URL: "https://admin:hunter2@ci.example.com/",
    });
    const text = JSON.stringify(provenance) + warnings.join("\n");
    for (const secret of ["glpat-S3CRETtoken", "jenkins-bot", "hunter2", "admin"]) expect(text).not.toContain(secret);
    expect(sourceOf(provenance)?.uri).toBe("https://gitlab.example.com:8443/acme/app");
    expect(provenance.runDetails.builder.id).toBe("https://ci.example.com/");
  });

  it("a remote it cannot record fails without echoing it", async () => {
    const error = await jenkinsFacts(collectContext({ ...freestyle, GIT_URL: "/srv/git/token-abc123/app.git" })).catch((e) => e);
    expect(isProvenantError(error, "PLATFORM_FACTS_MISSING")).toBe(true);
    expect(error.message).toContain("GIT_URL");
    expect(error.message).not.toContain("token-abc123");
  });

  it.each([
    ["JENKINS_URL", "the controller's root URL"],
    ["BUILD_URL", "the build's URL"],
    ["GIT_COMMIT", "the commit the build checked out"],
    ["GIT_URL", "the git remote the build checked out"],
  ])("without %s it says what is missing", async (name, expected) => {
    const env: Record<string, string> = { ...freestyle };
    delete env[name];
    const error = await jenkinsFacts(collectContext(env)).catch((e) => e);
    expect(isProvenantError(error, "PLATFORM_FACTS_MISSING")).toBe(true);
    expect(error.message).toContain(name);
    expect(error.message).toContain(expected);
  });

  it("rejects an abbreviated commit and a non-numeric build number", async () => {
    await expect(jenkinsFacts(collectContext({ ...freestyle, GIT_COMMIT: "4a1c9e2" }))).rejects.toMatchObject({
      code: "PLATFORM_FACTS_MISSING",
    });
    await expect(jenkinsFacts(collectContext({ ...freestyle, BUILD_NUMBER: "17a" }))).rejects.toMatchObject({
      code: "PLATFORM_FACTS_MISSING",
    });
  });
});

describe("jenkinsProvenance on enriched facts", () => {
  const facts: JenkinsFacts = {
    controllerUrl: "https://ci.example.com/",
    jobName: "app-build",
    buildUrl: "https://ci.example.com/job/app-build/17/",
    buildNumber: 17,
    scm: { repositoryUrl: "https://github.com/acme/app", commit: COMMIT, gitBranch: "origin/main" },
    details: {
      causes: [{ type: "hudson.model.Cause$UserIdCause", description: "Started by user Jane", userId: "jane" }],
      parameters: { TARGET: "prod", DRY_RUN: false },
      parameterNames: ["TARGET", "DRY_RUN"],
      startedOn: new Date("2026-11-23T09:58:00Z"),
      durationMs: 90_000,
    },
    tokenIssuer: "https://ci.example.com/oidc",
    factsSource: "oidc-token",
  };

  it("puts parameters in externalParameters, causes in internalParameters, and times in metadata", () => {
    const provenance = parseProvenance(jenkinsProvenance(facts));
    expect(provenance.buildDefinition.externalParameters.parameters).toEqual({ TARGET: "prod", DRY_RUN: false });
    expect(provenance.buildDefinition.internalParameters).toMatchObject({
      causes: [{ type: "hudson.model.Cause$UserIdCause", description: "Started by user Jane", userId: "jane" }],
      idTokenIssuer: "https://ci.example.com/oidc",
    });
    expect(provenance.runDetails.metadata).toMatchObject({
      startedOn: "2026-11-23T09:58:00.000Z",
      finishedOn: "2026-11-23T09:59:30.000Z",
      provenant_factsSource: "oidc-token",
    });
  });
});
