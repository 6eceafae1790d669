import { FACTS_SOURCE_FIELD, parseProvenance, sourceOf } from "@provenant/core";
import { describe, expect, it } from "vitest";
import type { GitHubFacts } from "./facts/facts.js";
import { INPUTS_SOURCE_FIELD, provenance, workflowPathOf } from "./provenance.js";
import { gheCom, pullRequest, pushTag, reusableWorkflow, type Scenario, workflowDispatch } from "./test-support/scenarios.js";

const factsOf = (scenario: Scenario, extra: Partial<GitHubFacts> = {}): GitHubFacts => ({
  serverUrl: scenario.serverUrl,
  claims: scenario.claims,
  factsSource: "oidc-token",
  ...extra,
});

describe("provenance(facts)", () => {
  it("records a tag push the way GitHub's workflow buildType describes it", () => {
    const scenario = pushTag();
    const sha = scenario.claims.sha;
    expect(provenance(factsOf(scenario))).toEqual({
      buildDefinition: {
        buildType: "https://actions.github.io/buildtypes/workflow/v1",
        externalParameters: {
          workflow: {
            ref: "refs/tags/simple-tag",
            repository: "https://github.com/Codertocat/Hello-World",
            path: ".github/workflows/release.yml",
          },
        },
        internalParameters: {
          github: {
            event_name: "push",
            repository_id: "186853002",
            repository_owner_id: "21031067",
            runner_environment: "github-hosted",
          },
        },
        resolvedDependencies: [
          { uri: "git+https://github.com/Codertocat/Hello-World@refs/tags/simple-tag", digest: { gitCommit: sha } },
        ],
      },
      runDetails: {
        builder: { id: "https://github.com/Codertocat/Hello-World/.github/workflows/release.yml@refs/tags/simple-tag" },
        metadata: {
          invocationId: "https://github.com/Codertocat/Hello-World/actions/runs/7543891234/attempts/2",
          [FACTS_SOURCE_FIELD]: "oidc-token",
        },
      },
    });
  });

  it("names the issuer that vouched for token-verified facts, and none for environment facts", () => {
    const scenario = pushTag();
    const issuer = "https://token.actions.githubusercontent.com";
    expect(provenance(factsOf(scenario, { issuer })).runDetails.metadata?.provenant_tokenIssuer).toBe(issuer);
    expect(provenance(factsOf(scenario, { factsSource: "environment" })).runDetails.metadata).not.toHaveProperty("provenant_tokenIssuer");
  });

  it("records variables that contradicted the token", () => {
    const disagreements = [{ variable: "GITHUB_SHA", claim: "sha", variableValue: "f".repeat(40), claimValue: "a".repeat(40) }];
    const fields = provenance(factsOf(pushTag(), { disagreements }));
    expect(fields.runDetails.metadata?.provenant_variableDisagreements).toEqual(disagreements);
    expect(provenance(factsOf(pushTag())).runDetails.metadata).not.toHaveProperty("provenant_variableDisagreements");
  });

  it("follows the source convention, so verify policies read repository, tag and commit", () => {
    const scenario = pushTag();
    const fields = provenance(factsOf(scenario));
    expect(sourceOf(parseProvenance(fields))).toEqual({
      uri: "https://github.com/Codertocat/Hello-World",
      repository: "github.com/codertocat/hello-world",
      ref: "refs/tags/simple-tag",
      tag: "simple-tag",
      commit: scenario.claims.sha,
    });
  });

  it("names the reusable workflow as the builder and the caller as the workflow", () => {
    const fields = provenance(factsOf(reusableWorkflow()));
    expect(fields.runDetails.builder.id).toBe(
      "https://github.com/octo-org/builders/.github/workflows/build-and-attest.yml@refs/tags/v2.1.0",
    );
    expect(fields.buildDefinition.externalParameters).toEqual({
      workflow: { ref: "refs/tags/simple-tag", repository: "https://github.com/Codertocat/Hello-World", path: ".github/workflows/release.yml" },
    });
  });

  it("uses the GHE.com tenant's URL everywhere the server appears", () => {
    const fields = provenance(factsOf(gheCom()));
    expect(fields.buildDefinition.resolvedDependencies?.[0]?.uri).toBe("git+https://octocorp.ghe.com/Codertocat/Hello-World@refs/heads/master");
    expect(fields.runDetails.builder.id).toMatch(/^https:\/\/octocorp\.ghe\.com\/Codertocat\/Hello-World\/\.github\/workflows\/ci\.yml@/);
    expect(fields.runDetails.metadata?.invocationId).toMatch(/^https:\/\/octocorp\.ghe\.com\//);
  });

  it("records a pull request's merge ref and event", () => {
    const fields = provenance(factsOf(pullRequest()));
    expect(fields.buildDefinition.resolvedDependencies?.[0]?.uri).toBe("git+https://github.com/Codertocat/Hello-World@refs/pull/2/merge");
    expect(fields.buildDefinition.internalParameters).toMatchObject({ github: { event_name: "pull_request" } });
  });

  it("records workflow_dispatch inputs where the buildType defines them, externalParameters.inputs", () => {
    const scenario = workflowDispatch();
    const fields = provenance(
      factsOf(scenario, {
        startedOn: "2026-11-20T10:00:00.000Z",
        finishedOn: "2026-11-20T10:04:31.000Z",
        workflowInputs: scenario.payload.inputs,
        factsSource: "oidc-token",
      }),
    );
    expect(fields.buildDefinition.externalParameters).toEqual({
      workflow: { ref: "refs/heads/main", repository: expect.any(String), path: expect.any(String) },
      inputs: { version: "1.4.0", "dry-run": false },
    });
    expect(fields.runDetails.metadata).toMatchObject({
      startedOn: "2026-11-20T10:00:00.000Z",
      finishedOn: "2026-11-20T10:04:31.000Z",
      [FACTS_SOURCE_FIELD]: "oidc-token",
      // No claim covers the inputs: even with a verified token they come from
      // the event file, and the provenance says so. Their values are not repeated.
      [INPUTS_SOURCE_FIELD]: "event-payload",
    });
    expect(Object.keys(fields.runDetails.metadata ?? {}).filter((k) => /input/i.test(k))).toEqual([INPUTS_SOURCE_FIELD]);
    // The result passes core's own provenance schema (RFC 3339, camelCase).
    expect(() => parseProvenance(fields)).not.toThrow();
  });

  it("omits inputs for a dispatch without any, and for other events", () => {
    const noInputs = provenance(factsOf(workflowDispatch(), { workflowInputs: {} }));
    expect(Object.keys(noInputs.buildDefinition.externalParameters)).toEqual(["workflow"]);
    expect(noInputs.runDetails.metadata).not.toHaveProperty(INPUTS_SOURCE_FIELD);
    expect(Object.keys(provenance(factsOf(pushTag())).buildDefinition.externalParameters)).toEqual(["workflow"]);
  });
});

describe("workflowPathOf", () => {
  it("cuts the repository prefix and the ref suffix", () => {
    expect(workflowPathOf("acme/app/.github/workflows/ci.yml@refs/heads/main", "acme/app", "refs/heads/main")).toBe(".github/workflows/ci.yml");
  });
  it("keeps an @ inside the workflow path or the ref", () => {
    expect(workflowPathOf("acme/app/.github/workflows/a@b.yml@refs/heads/x@y", "acme/app", "refs/heads/x@y")).toBe(".github/workflows/a@b.yml");
  });
  it("cuts at the last @ when the workflow's ref differs from the run's", () => {
    expect(workflowPathOf("acme/app/.github/workflows/ci.yml@refs/heads/main", "acme/app", "refs/pull/3/merge")).toBe(".github/workflows/ci.yml");
  });
});
