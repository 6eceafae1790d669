import { type CollectContext, buildStatement } from "@provenant/core";
import { describe, expect, it } from "vitest";
import { adapter } from "./adapter.js";
import { GITLAB_COM_BRANCH } from "./fixtures.js";

// issue 12 §2: without an ID token, CI_PROJECT_URL, CI_JOB_URL and
// CI_PIPELINE_URL set to https://u:SECRET@… went as-is into invocationId and
// the pipeline url of the signed provenance.
describe("GitLab provenance never records credentials from URL variables", () => {
  it("strips userinfo and token parameters from every URL", async () => {
    const { CI_JOB_TOKEN: _token, ...env } = GITLAB_COM_BRANCH;
    const ctx: CollectContext = {
      env: {
        ...env,
        CI_PROJECT_URL: "https://u:SECRET@gitlab.com/acme/app",
        CI_PIPELINE_URL: "https://u:SECRET@gitlab.com/acme/app/-/pipelines/1001?private_token=SECRET",
        CI_JOB_URL: "https://gitlab-ci-token:SECRET@gitlab.com/acme/app/-/jobs/5005",
      },
      cwd: process.cwd(),
      fetch: async () => {
        throw new Error("no network in this test");
      },
      warn: () => {},
      now: () => new Date("2026-11-01T10:00:00Z"),
      options: {},
    };
    const provenance = await adapter.collect(ctx);
    // The adapter's own output, before core's net under it, is already clean.
    expect(JSON.stringify(provenance)).not.toContain("SECRET");
    expect(provenance.runDetails.metadata?.invocationId).toBe("https://gitlab.com/acme/app/-/jobs/5005");
    const statement = buildStatement([{ name: "app", digest: { sha256: "a".repeat(64) } }], provenance);
    expect(JSON.stringify(statement)).not.toContain("SECRET");
  });
});
