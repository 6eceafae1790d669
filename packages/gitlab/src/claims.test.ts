import { describe, expect, it } from "vitest";
import { splitConfigRefUri } from "./claims.js";

// ci_config_ref_uri as GitLab documents it in the ID token payload.
describe("splitConfigRefUri", () => {
  it("splits project, config path and ref", () => {
    expect(splitConfigRefUri("gitlab.com/acme/app//.gitlab-ci.yml@refs/heads/main")).toEqual({
      project: "gitlab.com/acme/app",
      path: ".gitlab-ci.yml",
      ref: "refs/heads/main",
    });
  });

  it("keeps a ref that holds @ whole (changesets tags, scoped Dependabot branches)", () => {
    expect(splitConfigRefUri("gitlab.example.com/acme/app//ci/release.yml@refs/tags/@acme/app@1.2.0")).toEqual({
      project: "gitlab.example.com/acme/app",
      path: "ci/release.yml",
      ref: "refs/tags/@acme/app@1.2.0",
    });
  });

  it("refuses a value without a project separator or a full ref", () => {
    expect(splitConfigRefUri("gitlab.com/acme/app/.gitlab-ci.yml@refs/heads/main")).toBeUndefined();
    expect(splitConfigRefUri("gitlab.com/acme/app//.gitlab-ci.yml@main")).toBeUndefined();
  });
});
