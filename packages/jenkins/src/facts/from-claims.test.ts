import { startTestIssuer, type TestIssuer } from "@provenant/oidc/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jenkinsProvenance } from "../provenance/provenance.js";
import { CURRENT_RECIPE } from "../test-fixtures/claim-recipes.js";
import { collectContext } from "../test-fixtures/context.js";
import { COMMIT, freestyle, multibranch, pipeline, pullRequest, tag } from "../test-fixtures/environments.js";
import { expandClaimTemplates } from "../test-fixtures/oidc-provider-plugin.js";
import { jenkinsFacts } from "./collect.js";
import { jenkinsProvenanceFromClaims } from "./from-claims.js";

// The signing service's path (claims only) against the local path (the
// environment plus the same token) for the builds of test-fixtures, with the
// documented claim templates expanded by the plugin's own rules.

let issuer: TestIssuer;
let controller: string;
beforeAll(async () => {
  issuer = await startTestIssuer({ pathPrefix: "/oidc" });
  controller = `${issuer.url}/`;
});
afterAll(() => issuer.close());

function onController(build: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(build).map(([name, value]) => [name, value.replace("https://ci.example.com/", controller)]));
}

/** What only the environment has, which the service therefore cannot record. */
const VARIABLES_ONLY = ["BUILD_ID", "BUILD_TAG", "NODE_NAME", "EXECUTOR_NUMBER"];

async function bothPaths(build: Record<string, string>, keepVariablesOnly = false) {
  const variables = onController(build);
  const claims = { ...expandClaimTemplates({ build: CURRENT_RECIPE }, variables, "optional"), iss: issuer.issuer };
  const env = Object.fromEntries(Object.entries(variables).filter(([name]) => keepVariablesOnly || !VARIABLES_ONLY.includes(name)));
  const local = jenkinsProvenance(await jenkinsFacts(collectContext({ ...env, PROVENANT_ID_TOKEN: await issuer.sign(claims) })));
  return { local, service: jenkinsProvenanceFromClaims(claims), variables };
}

describe("jenkinsProvenanceFromClaims: the same fields as the local path", () => {
  for (const [kind, build] of [
    ["multibranch branch", multibranch],
    ["multibranch tag (a job under view/tags)", tag],
    ["change request", pullRequest],
    ["freestyle", freestyle],
    ["pipeline in a folder", pipeline],
  ] as const) {
    it(`${kind} build: identical buildDefinition and runDetails`, async () => {
      const { local, service, variables } = await bothPaths(build);
      expect(service.provenance).toEqual(local);
      expect(service.identity).toEqual({ controllerUrl: controller, jobUrl: variables.JOB_URL, jobName: variables.JOB_NAME });
      expect(service.provenance.runDetails.builder.id).toBe(controller);
      expect(service.provenance.runDetails.metadata?.invocationId).toBe(variables.BUILD_URL);
    });
  }

  it("leaves out what only variables say (build id and tag, node, executor), and nothing else", async () => {
    const { local, service } = await bothPaths(pipeline, true);
    expect(local.buildDefinition.internalParameters).toMatchObject({ buildId: "5", node: "linux-agent-3", executor: 0 });
    const { buildId, buildTag, node, executor, ...rest } = local.buildDefinition.internalParameters as Record<string, unknown>;
    expect(service.provenance.buildDefinition.internalParameters).toEqual(rest);
    expect(service.provenance.buildDefinition.externalParameters).toEqual(local.buildDefinition.externalParameters);
    expect(service.provenance.runDetails).toEqual(local.runDetails);
  });

  it("decodes job names once, as JOB_NAME spells a branch with a slash", () => {
    const claims = { iss: "https://ci.example.com/oidc", sub: "https://ci.example.com/job/acme/job/app/job/feature%252Flogin/", build_number: 3, git_url: "https://github.com/acme/app.git", git_commit: COMMIT };
    expect(jenkinsProvenanceFromClaims(claims).identity.jobName).toBe("acme/app/feature%2Flogin");
  });

  it("takes a folder issuer's controller from the issuer, and the job must be in that folder", () => {
    const claims = { iss: "https://ci.example.com/oidc/job/acme", sub: "https://ci.example.com/job/acme/job/app/job/main/", build_number: 42, git_url: "https://github.com/acme/app", git_commit: COMMIT };
    expect(jenkinsProvenanceFromClaims(claims).identity).toMatchObject({ controllerUrl: "https://ci.example.com/", folderUrl: "https://ci.example.com/job/acme/", jobName: "acme/app/main" });
    const outside = { ...claims, sub: "https://ci.example.com/job/other/job/app/" };
    expect(() => jenkinsProvenanceFromClaims(outside)).toThrow(expect.objectContaining({ code: "TOKEN_INVALID", message: expect.stringContaining("outside the folder") }));
  });
});

describe("jenkinsProvenanceFromClaims: refusals", () => {
  const base = { iss: "https://ci.example.com/oidc", sub: "https://ci.example.com/job/app/", build_number: 7, git_url: "https://github.com/acme/app", git_commit: COMMIT };
  const code = (claims: Record<string, unknown>, options = {}) => {
    try {
      jenkinsProvenanceFromClaims(claims, options);
      return "accepted";
    } catch (error) {
      return (error as { code?: string }).code;
    }
  };

  it("a job of another controller", () => {
    expect(code({ ...base, sub: "https://other.example.com/job/app/" })).toBe("TOKEN_INVALID");
    expect(code({ ...base, sub: "https://ci.example.com/job/app/?x=/job/other" })).toBe("TOKEN_INVALID");
  });

  it("a sub that is not a job URL, no build number, or no checkout claims", () => {
    expect(code({ ...base, sub: "app" })).toBe("PLATFORM_FACTS_MISSING");
    expect(code({ ...base, sub: "https://ci.example.com/manage/" })).toBe("PLATFORM_FACTS_MISSING");
    expect(code({ ...base, build_number: undefined })).toBe("PLATFORM_FACTS_MISSING");
    expect(code({ ...base, git_commit: `\${GIT_COMMIT}` })).toBe("PLATFORM_FACTS_MISSING");
  });

  it("an issuer not of the plugin's form, unless the controller is configured", () => {
    const external = { ...base, iss: "https://issuer.example.com" };
    expect(code(external)).toBe("USAGE");
    expect(jenkinsProvenanceFromClaims(external, { controllerUrl: "https://ci.example.com" }).identity.controllerUrl).toBe("https://ci.example.com/");
  });

  it("a configured controller wins over the issuer's URL, and the job must be its", () => {
    expect(code(base, { controllerUrl: "https://jenkins.example.com/" })).toBe("TOKEN_INVALID");
  });
});
