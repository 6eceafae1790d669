import { attest, generateKeyPair, keySigner, type ProvenanceFields, privateKeyFromPem, publicKeyFromPem, verify } from "@provenant/core";
import { startTestIssuer, type TestIssuer } from "@provenant/oidc/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jenkinsProvenance } from "../provenance/provenance.js";
import { collectContext } from "../test-fixtures/context.js";
import { COMMIT, freestyle, multibranch, pullRequest, tag } from "../test-fixtures/environments.js";
import { CHECKOUT, CURRENT_RECIPE, DEFAULTS, REF_NAMES, refTemplates } from "../test-fixtures/claim-recipes.js";
import { type ClaimTemplate, expandClaimTemplates, type PluginRules, replaceMacro, TokenCreationFailed } from "../test-fixtures/oidc-provider-plugin.js";
import { jenkinsFacts } from "./collect.js";
import { REF_CLAIMS_MARKER } from "./from-claims.js";

// The recipes of docs/buildtypes/jenkins-v1.md ("Claim templates"), run
// through the plugin's own template rules (test-fixtures/oidc-provider-plugin.ts)
// for each kind of build, then through the adapter and `verify`.

/** The recipe for plugins before 170.x: every template required, unset ones arrive unexpanded. */
const BEFORE_170_RECIPE = [...DEFAULTS, ...CHECKOUT, ...refTemplates(false)];
/** On 170.x releases without the Optional checkbox only templates every build fills are safe. */
const ALWAYS_FILLED_RECIPE = [...DEFAULTS, ...CHECKOUT];

let issuer: TestIssuer;
let controller: string;
beforeAll(async () => {
  issuer = await startTestIssuer({ pathPrefix: "/oidc" });
  controller = `${issuer.url}/`;
});
afterAll(() => issuer.close());

/** A fixture build moved onto the test controller. */
function onController(build: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(build).map(([name, value]) => [name, value.replace("https://ci.example.com/", controller)]));
}

async function attestWith(build: Record<string, string>, recipe: ClaimTemplate[], rules: PluginRules) {
  const variables = onController(build);
  const claims = expandClaimTemplates({ build: recipe }, variables, rules);
  const context = collectContext({ ...variables, PROVENANT_ID_TOKEN: await issuer.sign(claims) });
  const provenance = jenkinsProvenance(await jenkinsFacts(context));
  return { provenance, warnings: context.warnings, variables };
}

async function verifies(provenance: ProvenanceFields, policy: Parameters<typeof verify>[1]["policy"]) {
  const keys = generateKeyPair("ecdsa-p256");
  const digest = "a".repeat(64);
  const { bundle } = await attest([{ name: "app.tar.gz", digest: { sha256: digest } }], provenance, keySigner(privateKeyFromPem(keys.privateKeyPem)));
  return verify(bundle, { trustedKeys: [{ publicKey: publicKeyFromPem(keys.publicKeyPem) }], artifactDigests: [{ sha256: digest }], policy }).verified;
}

describe("the plugin's template rules (hudson.Util#replaceMacro, oidc-provider 170.x)", () => {
  it("replaces $NAME and the braced form, keeps unset ones as written, and turns $$ into $", () => {
    expect(replaceMacro(`jenkins:\${BRANCH_NAME}:$BUILD_NUMBER:$$x:\${TAG_NAME}`, { BRANCH_NAME: "main", BUILD_NUMBER: "7" })).toBe(`jenkins:main:7:$x:\${TAG_NAME}`);
  });

  it("since 170.x the recipe that relied on an unset TAG_NAME arriving unexpanded aborts token creation for every branch build", () => {
    expect(() => expandClaimTemplates({ build: BEFORE_170_RECIPE }, multibranch, "170")).toThrow(TokenCreationFailed);
    expect(() => expandClaimTemplates({ build: BEFORE_170_RECIPE }, multibranch, "before-170")).not.toThrow();
  });

  it("an Optional template is left out instead; sub never is", () => {
    const claims = expandClaimTemplates({ build: CURRENT_RECIPE }, multibranch, "optional");
    expect(claims).toMatchObject({ branch_name: "main", git_branch: "main", [REF_CLAIMS_MARKER]: "tag_name change_id branch_name git_branch" });
    expect(claims).not.toHaveProperty("tag_name");
    expect(claims).not.toHaveProperty("change_id");
    expect(() => expandClaimTemplates({ build: [{ name: "sub", format: `\${NOPE}`, optional: true }] }, multibranch, "optional")).toThrow(TokenCreationFailed);
  });
});

describe("the current recipe: Optional ref claims and provenant_ref_claims", () => {
  it("multibranch branch build: refs/heads/main, token-backed; a branch policy passes at L2, a tag policy fails", async () => {
    const { provenance, warnings, variables } = await attestWith(multibranch, CURRENT_RECIPE, "optional");
    expect(provenance.buildDefinition.resolvedDependencies?.[0]).toEqual({ uri: "git+https://github.com/acme/app@refs/heads/main", digest: { gitCommit: COMMIT } });
    expect(provenance.runDetails.metadata?.invocationId).toBe(variables.BUILD_URL);
    expect(provenance.runDetails.builder.id).toBe(controller);
    expect(provenance.runDetails.metadata?.provenant_factsSource).toBe("oidc-token");
    expect(warnings).toEqual([]);
    expect(await verifies(provenance, { builderId: controller, sourceUri: "github.com/acme/app", sourceBranch: "main", minimumLevel: 2 })).toBe(true);
    expect(await verifies(provenance, { sourceUri: "github.com/acme/app", sourceTag: "main" })).toBe(false);
    expect(await verifies(provenance, { sourceUri: "github.com/acme/app", sourceBranch: "release" })).toBe(false);
  });

  it("multibranch tag build: refs/tags/v1.4.0; a tag policy passes at L2, a branch policy for the same name fails", async () => {
    const { provenance, warnings, variables } = await attestWith(tag, CURRENT_RECIPE, "optional");
    expect(provenance.buildDefinition.resolvedDependencies?.[0]).toEqual({ uri: "git+https://github.com/acme/app@refs/tags/v1.4.0", digest: { gitCommit: COMMIT } });
    expect(provenance.runDetails.metadata?.invocationId).toBe(variables.BUILD_URL);
    expect(provenance.runDetails.builder.id).toBe(controller);
    expect(warnings).toEqual([]);
    expect(await verifies(provenance, { builderId: controller, sourceUri: "github.com/acme/app", sourceTag: "v1.4.0", minimumLevel: 2 })).toBe(true);
    expect(await verifies(provenance, { sourceUri: "github.com/acme/app", sourceBranch: "v1.4.0" })).toBe(false);
  });

  it("change request build: no ref; the repository policy passes at L2, a branch policy for the target fails", async () => {
    const { provenance, warnings, variables } = await attestWith(pullRequest, CURRENT_RECIPE, "optional");
    expect(provenance.buildDefinition.resolvedDependencies?.[0]).toEqual({ uri: "git+https://github.com/acme/app", digest: { gitCommit: COMMIT } });
    expect(provenance.buildDefinition.externalParameters.change).toMatchObject({ id: "12", target: "main" });
    expect(provenance.runDetails.metadata?.invocationId).toBe(variables.BUILD_URL);
    expect(warnings).toEqual([]);
    expect(await verifies(provenance, { builderId: controller, sourceUri: "github.com/acme/app", minimumLevel: 2 })).toBe(true);
    expect(await verifies(provenance, { sourceUri: "github.com/acme/app", sourceBranch: "main" })).toBe(false);
  });

  it("freestyle job (GIT_BRANCH origin/main, no multibranch variables): refs/heads/main", async () => {
    const { provenance, warnings } = await attestWith(freestyle, CURRENT_RECIPE, "optional");
    expect(provenance.buildDefinition.resolvedDependencies?.[0]).toEqual({ uri: "git+https://github.com/acme/app@refs/heads/main", digest: { gitCommit: COMMIT } });
    expect(warnings).toEqual([]);
    expect(await verifies(provenance, { builderId: controller, sourceUri: "github.com/acme/app", sourceBranch: "main", minimumLevel: 2 })).toBe(true);
  });

  it("without the marker, left-out ref claims say nothing: a tag named main is not taken for the branch main", async () => {
    const noMarker = CURRENT_RECIPE.filter((template) => template.name !== REF_CLAIMS_MARKER);
    const { provenance, warnings } = await attestWith({ ...multibranch, TAG_NAME: "main" }, noMarker.filter((t) => t.name !== "tag_name"), "optional");
    expect(provenance.buildDefinition.resolvedDependencies?.[0]).toEqual({ uri: "git+https://github.com/acme/app", digest: { gitCommit: COMMIT } });
    expect(warnings).toEqual([expect.stringContaining("no tag_name or change_id claim")]);
    expect(await verifies(provenance, { sourceUri: "github.com/acme/app", sourceBranch: "main" })).toBe(false);
  });
});

describe("older and in-between plugin releases", () => {
  it("templates written $TAG_NAME (no braces) arrive as written when unset, and count as unset", async () => {
    const unbraced = [...DEFAULTS, ...CHECKOUT, ...REF_NAMES.map((name) => ({ name, format: `$${name.toUpperCase()}` }))];
    expect(expandClaimTemplates({ build: unbraced }, onController(multibranch), "before-170")).toMatchObject({ tag_name: "$TAG_NAME", change_id: "$CHANGE_ID" });
    const { provenance, warnings } = await attestWith(multibranch, unbraced, "before-170");
    expect(provenance.buildDefinition.resolvedDependencies?.[0]).toEqual({ uri: "git+https://github.com/acme/app@refs/heads/main", digest: { gitCommit: COMMIT } });
    expect(warnings).toEqual([]);
  });

  for (const [kind, build, uri] of [
    ["branch", multibranch, "git+https://github.com/acme/app@refs/heads/main"],
    ["tag", tag, "git+https://github.com/acme/app@refs/tags/v1.4.0"],
    ["change request", pullRequest, "git+https://github.com/acme/app"],
    ["freestyle", freestyle, "git+https://github.com/acme/app@refs/heads/main"],
  ] as const) {
    it(`before 170.x, the earlier recipe (unexpanded \${VAR}) still records the ${kind} build's ref`, async () => {
      const { provenance, warnings } = await attestWith(build, BEFORE_170_RECIPE, "before-170");
      expect(provenance.buildDefinition.resolvedDependencies?.[0]).toEqual({ uri, digest: { gitCommit: COMMIT } });
      expect(warnings).toEqual([]);
    });

    it(`before 170.x, the current recipe (Optional unknown there, so unexpanded) records the ${kind} build's ref too`, async () => {
      const { provenance } = await attestWith(build, CURRENT_RECIPE, "before-170");
      expect(provenance.buildDefinition.resolvedDependencies?.[0]).toEqual({ uri, digest: { gitCommit: COMMIT } });
    });
  }

  it("170.x without the Optional checkbox: only always-filled claims work; token-backed source, no ref, so branch policies fail", async () => {
    expect(() => expandClaimTemplates({ build: CURRENT_RECIPE }, multibranch, "170")).toThrow(TokenCreationFailed);
    const { provenance, warnings } = await attestWith(multibranch, ALWAYS_FILLED_RECIPE, "170");
    expect(provenance.buildDefinition.resolvedDependencies?.[0]).toEqual({ uri: "git+https://github.com/acme/app", digest: { gitCommit: COMMIT } });
    expect(provenance.runDetails.metadata?.provenant_factsSource).toBe("oidc-token");
    expect(warnings).toEqual([expect.stringContaining("no tag_name or change_id or branch_name or git_branch claim")]);
    expect(await verifies(provenance, { builderId: controller, sourceUri: "github.com/acme/app", minimumLevel: 2 })).toBe(true);
    expect(await verifies(provenance, { sourceUri: "github.com/acme/app", sourceBranch: "main" })).toBe(false);
  });
});
