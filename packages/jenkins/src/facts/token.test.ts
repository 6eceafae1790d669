import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isProvenantError, parseProvenance, slsaLevelOf, sourceOf } from "@provenant/core";
import { startTestIssuer, type TestIssuer } from "@provenant/oidc/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jenkinsProvenance } from "../provenance/provenance.js";
import { collectContext } from "../test-fixtures/context.js";
import { COMMIT, multibranch } from "../test-fixtures/environments.js";
import { jenkinsFacts } from "./collect.js";
import { ISSUER_VARIABLE, issuerFor, serviceIdToken } from "./token.js";

// A real issuer on 127.0.0.1 serving discovery and JWKS under `/oidc`, where
// the OIDC Provider plugin serves them for credentials at the root.
let issuer: TestIssuer;
let controller: string;
let jobUrl: string;
let env: Record<string, string>;
const TOKEN_COMMIT = "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432";

beforeAll(async () => {
  issuer = await startTestIssuer({ pathPrefix: "/oidc" });
  controller = `${issuer.url}/`;
  jobUrl = `${controller}job/acme/job/app/job/main/`;
  env = {
    ...multibranch,
    JENKINS_URL: controller,
    JOB_URL: jobUrl,
    BUILD_URL: `${jobUrl}42/`,
  };
});
afterAll(() => issuer.close());

// The plugin's default build claim templates: sub = ${JOB_URL}, build_number = ${BUILD_NUMBER}.
const defaultClaims = () => ({ sub: jobUrl, build_number: 42 });
// Templates an administrator adds, named after the Git variables; the plugin
// leaves `${TAG_NAME}` unexpanded when the build has no such variable.
const scmClaims = () => ({
  ...defaultClaims(),
  git_url: "https://jenkins-bot:ghp_TOKENinURL@github.com/acme/app.git",
  git_commit: TOKEN_COMMIT,
  branch_name: "main",
  tag_name: `\${TAG_NAME}`,
  change_id: `\${CHANGE_ID}`,
});

async function collectWith(extraEnv: Record<string, string>, options: Record<string, string> = {}) {
  const context = collectContext({ ...env, ...extraEnv }, { options });
  const facts = await jenkinsFacts(context);
  return { facts, provenance: parseProvenance(jenkinsProvenance(facts)), warnings: context.warnings };
}

describe("the OIDC Provider plugin's ID token", () => {
  it("with git claims: the source comes from the verified token and the facts are token-backed", async () => {
    const token = await issuer.sign(scmClaims());
    const { provenance, warnings } = await collectWith({ PROVENANT_ID_TOKEN: token });
    expect(provenance.runDetails.metadata?.provenant_factsSource).toBe("oidc-token");
    expect(sourceOf(provenance)).toMatchObject({ uri: "https://github.com/acme/app", ref: "refs/heads/main", commit: TOKEN_COMMIT });
    expect(provenance.buildDefinition.internalParameters?.idTokenIssuer).toBe(`${issuer.url}/oidc`);
    // GIT_COMMIT in the environment says otherwise: the token wins, and the user hears about it.
    expect(warnings).toEqual([expect.stringContaining(`differs from the ID token's git_commit (${TOKEN_COMMIT})`)]);
    const everything = JSON.stringify(provenance) + warnings.join("\n");
    expect(everything).not.toContain("ghp_TOKENinURL");
    expect(everything).not.toContain(token);
  });

  describe("the ref, when the administrator configured only some ref claims", () => {
    // Multibranch branch `feature/main`: GIT_BRANCH is the bare name there.
    const featureMain = { BRANCH_NAME: "feature/main", GIT_BRANCH: "feature/main" };
    const gitClaims = () => ({ ...defaultClaims(), git_url: "https://github.com/acme/app.git", git_commit: TOKEN_COMMIT });

    it("git_branch only, branch feature/main: token-backed, but no ref (not refs/heads/main), and a warning", async () => {
      const token = await issuer.sign({ ...gitClaims(), git_branch: "feature/main" });
      const { provenance, warnings } = await collectWith({ ...featureMain, PROVENANT_ID_TOKEN: token });
      expect(provenance.runDetails.metadata?.provenant_factsSource).toBe("oidc-token");
      expect(sourceOf(provenance)).toMatchObject({ uri: "https://github.com/acme/app", commit: TOKEN_COMMIT });
      expect(sourceOf(provenance)?.ref).toBeUndefined();
      expect(provenance.buildDefinition.externalParameters.source).toEqual({ repository: "https://github.com/acme/app" });
      expect(warnings).toContainEqual(expect.stringContaining("no tag_name or change_id or branch_name claim"));
    });

    it("branch_name without tag_name, a tag named main: no ref, not refs/heads/main", async () => {
      // A multibranch tag build sets BRANCH_NAME (and GIT_BRANCH) to the tag's name.
      const token = await issuer.sign({ ...gitClaims(), branch_name: "main", change_id: `\${CHANGE_ID}`, git_branch: "main" });
      const { provenance, warnings } = await collectWith({ BRANCH_NAME: "main", TAG_NAME: "main", PROVENANT_ID_TOKEN: token });
      expect(sourceOf(provenance)?.ref).toBeUndefined();
      expect(warnings).toContainEqual(expect.stringContaining("no tag_name claim"));
    });

    it("all ref claims configured: the tag named main is a tag, and feature/main stays whole", async () => {
      const all = { ...gitClaims(), change_id: `\${CHANGE_ID}` };
      const tag = await issuer.sign({ ...all, tag_name: "main", branch_name: "main", git_branch: "main" });
      const tagged = await collectWith({ BRANCH_NAME: "main", TAG_NAME: "main", PROVENANT_ID_TOKEN: tag });
      expect(sourceOf(tagged.provenance)?.ref).toBe("refs/tags/main");
      const branch = await issuer.sign({ ...all, tag_name: `\${TAG_NAME}`, branch_name: "feature/main", git_branch: "feature/main" });
      const branched = await collectWith({ ...featureMain, PROVENANT_ID_TOKEN: branch });
      expect(sourceOf(branched.provenance)?.ref).toBe("refs/heads/feature/main");
      expect([...tagged.warnings, ...branched.warnings].join("\n")).not.toContain("no source ref");
    });

    it("a pipeline job (no multibranch variables, all claimed): git_branch origin/main is refs/heads/main", async () => {
      const token = await issuer.sign({
        ...gitClaims(),
        tag_name: `\${TAG_NAME}`,
        change_id: `\${CHANGE_ID}`,
        branch_name: `\${BRANCH_NAME}`,
        git_branch: "origin/main",
      });
      const { provenance, warnings } = await collectWith({ BRANCH_NAME: "", GIT_BRANCH: "origin/main", PROVENANT_ID_TOKEN: token });
      expect(sourceOf(provenance)?.ref).toBe("refs/heads/main");
      expect(warnings.join("\n")).not.toContain("no source ref");
    });
  });

  describe("the ref, when a build parameter is named after a ref variable", () => {
    // A Pipeline job run from origin/feature with a string parameter TAG_NAME=v1.0.0: the
    // plugin expands tag_name=${TAG_NAME} from the build's environment, parameters included.
    const pipelineClaims = () => ({
      ...defaultClaims(),
      git_url: "https://github.com/acme/app.git",
      git_commit: TOKEN_COMMIT,
      tag_name: "v1.0.0",
      change_id: `\${CHANGE_ID}`,
      branch_name: `\${BRANCH_NAME}`,
      git_branch: "origin/feature",
    });
    const pipelineEnv = { BRANCH_NAME: "", GIT_BRANCH: "origin/feature", TAG_NAME: "v1.0.0" };
    const api = { JENKINS_USER_ID: "jane", JENKINS_API_TOKEN: "11aa22bb33cc44dd55ee66ff77aa88bb99" };

    // `<BUILD_URL>api/json` (hudson.model.ParametersAction) answered by a stand-in for the
    // controller's JSON API; discovery and JWKS still come from the real test issuer.
    function controllerWithParameters(parameters: { _class: string; name: string; value?: unknown }[]) {
      const asked: string[] = [];
      const fetcher: typeof fetch = async (input, init) => {
        const url = String(input instanceof Request ? input.url : input);
        if (!url.startsWith(`${jobUrl}42/api/json`)) return fetch(input, init);
        asked.push(url);
        const body = { _class: "org.jenkinsci.plugins.workflow.job.WorkflowRun", actions: [{ _class: "hudson.model.ParametersAction", parameters }], building: true };
        return new Response(JSON.stringify(body), { status: 200, headers: { "content-type": "application/json" } });
      };
      return { fetcher, asked };
    }

    async function collectThrough(fetcher: typeof fetch, extraEnv: Record<string, string>) {
      const context = collectContext({ ...env, ...extraEnv }, { fetch: fetcher });
      const facts = await jenkinsFacts(context);
      return { provenance: parseProvenance(jenkinsProvenance(facts)), warnings: context.warnings };
    }

    it("a TAG_NAME parameter: token-backed, but no ref (not refs/tags/v1.0.0), and a warning naming it", async () => {
      const { fetcher, asked } = controllerWithParameters([{ _class: "hudson.model.StringParameterValue", name: "TAG_NAME", value: "v1.0.0" }]);
      const token = await issuer.sign(pipelineClaims());
      const { provenance, warnings } = await collectThrough(fetcher, { ...pipelineEnv, ...api, PROVENANT_ID_TOKEN: token });
      expect(asked).toHaveLength(1);
      expect(provenance.runDetails.metadata?.provenant_factsSource).toBe("oidc-token");
      expect(sourceOf(provenance)).toMatchObject({ uri: "https://github.com/acme/app", commit: TOKEN_COMMIT });
      expect(sourceOf(provenance)?.ref).toBeUndefined();
      expect(warnings).toContainEqual(expect.stringContaining("a parameter named TAG_NAME"));
    });

    it.each([
      ["BRANCH_NAME", "hudson.model.StringParameterValue"],
      ["CHANGE_TARGET", "hudson.model.StringParameterValue"],
      // Not recorded as a parameter, but still set as the variable.
      ["CHANGE_ID", "hudson.model.PasswordParameterValue"],
    ])("a %s parameter (%s) leaves out the ref as well", async (name, parameterClass) => {
      const { fetcher } = controllerWithParameters([{ _class: parameterClass, name, value: "x" }]);
      const { provenance, warnings } = await collectThrough(fetcher, { ...pipelineEnv, ...api, PROVENANT_ID_TOKEN: await issuer.sign(pipelineClaims()) });
      expect(sourceOf(provenance)?.ref).toBeUndefined();
      expect(warnings).toContainEqual(expect.stringContaining(`a parameter named ${name}`));
    });

    it("other parameters keep the ref", async () => {
      const { fetcher } = controllerWithParameters([{ _class: "hudson.model.StringParameterValue", name: "TARGET", value: "prod" }]);
      const token = await issuer.sign({ ...pipelineClaims(), tag_name: `\${TAG_NAME}` });
      const { provenance, warnings } = await collectThrough(fetcher, { ...pipelineEnv, TAG_NAME: "", ...api, PROVENANT_ID_TOKEN: token });
      expect(sourceOf(provenance)?.ref).toBe("refs/heads/feature");
      expect(provenance.buildDefinition.externalParameters.parameters).toEqual({ TARGET: "prod" });
      expect(warnings.join("\n")).not.toContain("no source ref");
    });
  });

  it("a pipeline job whose token claims tag_name, change_id and branch_name but not git_branch: no ref, and a warning naming git_branch", async () => {
    const token = await issuer.sign({
      ...defaultClaims(),
      git_url: "https://github.com/acme/app.git",
      git_commit: TOKEN_COMMIT,
      tag_name: `\${TAG_NAME}`,
      change_id: `\${CHANGE_ID}`,
      branch_name: `\${BRANCH_NAME}`,
    });
    const { provenance, warnings } = await collectWith({ BRANCH_NAME: "", GIT_BRANCH: "origin/main", PROVENANT_ID_TOKEN: token });
    expect(provenance.runDetails.metadata?.provenant_factsSource).toBe("oidc-token");
    expect(sourceOf(provenance)?.ref).toBeUndefined();
    expect(warnings).toContainEqual(expect.stringContaining("no git_branch claim"));
    expect(warnings).toContainEqual(expect.stringContaining(`git_branch=\${GIT_BRANCH}`));
  });

  it("with the default claims only: verified, but the source is from the environment (L1) and a warning says how to fix it", async () => {
    const { provenance, warnings } = await collectWith({ PROVENANT_ID_TOKEN: await issuer.sign(defaultClaims()) });
    expect(provenance.runDetails.metadata?.provenant_factsSource).toBe("environment");
    expect(sourceOf(provenance)?.commit).toBe(COMMIT);
    expect(warnings).toEqual([expect.stringContaining(`git_url=\${GIT_URL}`)]);
  });

  it("with a custom sub template: verified, but nothing ties it to this job, so the facts stay environment", async () => {
    const token = await issuer.sign({ ...scmClaims(), sub: "jenkins:acme/app/main" });
    const { facts, warnings } = await collectWith({ PROVENANT_ID_TOKEN: token });
    expect(facts.factsSource).toBe("environment");
    expect(facts.scm.commit).toBe(COMMIT);
    expect(warnings).toEqual([expect.stringContaining("sub is not a job URL")]);
  });

  it("reads the token from a file (OpenID Connect id token as file) through --token-variable", async () => {
    const dir = await mkdtemp(join(tmpdir(), "provenant-jenkins-"));
    try {
      const path = join(dir, "id-token");
      await writeFile(path, `${await issuer.sign(scmClaims())}\n`);
      const { provenance } = await collectWith({ OIDC_TOKEN_FILE: path }, { tokenVariable: "OIDC_TOKEN_FILE" });
      expect(provenance.runDetails.metadata?.provenant_factsSource).toBe("oidc-token");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("accepts a folder issuer, <JENKINS_URL>oidc/job/<folder>, for a job in that folder, and the audience from --token-audience", async () => {
    // The plugin serves folder credentials' discovery and JWKS there (FolderIssuer.uri()).
    const folderIssuer = await startTestIssuer({ pathPrefix: "/oidc/job/acme/job/app" });
    try {
      const folderController = `${folderIssuer.url}/`;
      const folderJob = `${folderController}job/acme/job/app/job/main/`;
      const token = await folderIssuer.sign({ ...scmClaims(), sub: folderJob }, { audience: "https://sts.example.com" });
      const context = collectContext(
        {
          ...env,
          JENKINS_URL: folderController,
          JOB_URL: folderJob,
          BUILD_URL: `${folderJob}42/`,
          PROVENANT_ID_TOKEN: token,
          [ISSUER_VARIABLE]: `${folderIssuer.issuer}/`,
        },
        { options: { tokenAudience: "https://sts.example.com" } },
      );
      const facts = await jenkinsFacts(context);
      expect(facts.factsSource).toBe("oidc-token");
      expect(facts.tokenIssuer).toBe(folderIssuer.issuer);
      expect(facts.scm.commit).toBe(TOKEN_COMMIT);
    } finally {
      await folderIssuer.close();
    }
  });

  describe("an external issuer, named by the build (the variable, the step's issuer: or --token-issuer)", () => {
    // `environment { PROVENANT_JENKINS_OIDC_ISSUER = ... }`, withEnv or a CLI
    // option in a Jenkinsfile: an issuer the build may hold the key of, so
    // whatever its token says can vouch for no more than L1.
    let external: TestIssuer;
    beforeAll(async () => {
      external = await startTestIssuer({ pathPrefix: "/jenkins" });
    });
    afterAll(() => external.close());

    it("verifies the token against its discovery and JWKS, takes the facts from its claims, and records them as external-oidc-token (L1)", async () => {
      const token = await external.sign(scmClaims());
      const before = external.requests.length;
      const { facts, provenance, warnings } = await collectWith({ PROVENANT_ID_TOKEN: token, [ISSUER_VARIABLE]: external.issuer });
      expect(external.requests.slice(before).map((r) => r.path)).toEqual(["/jenkins/.well-known/openid-configuration", "/jenkins/.well-known/jwks"]);
      expect(facts.factsSource).toBe("external-oidc-token");
      expect(sourceOf(provenance)).toMatchObject({ uri: "https://github.com/acme/app", ref: "refs/heads/main", commit: TOKEN_COMMIT });
      expect(provenance.runDetails.metadata?.provenant_factsSource).toBe("external-oidc-token");
      expect(provenance.buildDefinition.internalParameters?.idTokenIssuer).toBe(external.issuer);
      expect(provenance.runDetails.builder.id).toBe(controller);
      expect(slsaLevelOf(provenance, true)).toMatchObject({ level: 1, reason: expect.stringContaining("an issuer the build named itself") });
      expect(warnings).toContainEqual(expect.stringContaining(`external issuer ${external.issuer}: it is not served by this controller`));
      expect(warnings).toContainEqual(expect.stringContaining("SLSA Build L1 only"));
    });

    it("takes --token-issuer (context.options.tokenIssuer) over the variable", async () => {
      const token = await external.sign(scmClaims());
      const { facts, warnings } = await collectWith(
        { PROVENANT_ID_TOKEN: token, [ISSUER_VARIABLE]: `${controller}oidc` },
        { tokenIssuer: external.issuer },
      );
      expect(facts.factsSource).toBe("external-oidc-token");
      expect(facts.tokenIssuer).toBe(external.issuer);
      expect(warnings).toContainEqual(expect.stringContaining(`${ISSUER_VARIABLE} (${controller}oidc) is ignored`));
    });

    it("names the controller's own issuer through --token-issuer: still oidc-token", async () => {
      const { facts } = await collectWith({ PROVENANT_ID_TOKEN: await issuer.sign(scmClaims()) }, { tokenIssuer: `${controller}oidc/` });
      expect(facts.factsSource).toBe("oidc-token");
      expect(facts.tokenIssuer).toBe(`${issuer.url}/oidc`);
    });

    it.each<[string, () => Promise<string>, string]>([
      // Same kid, another key: the forgery a build could make without the issuer's key.
      ["signed by a key the named issuer does not publish", () => external.sign(scmClaims(), { otherKey: true }), "signature"],
      // The controller's genuine token is not the named issuer's either.
      ["signed by the controller's issuer", () => issuer.sign(scmClaims()), "issuer"],
      ["unsigned", () => external.sign(scmClaims(), { alg: "none" }), "alg"],
      ["issued to another job", () => external.sign({ ...scmClaims(), sub: `${controller}job/other/` }), "job/other/"],
    ])("refuses a token %s (TOKEN_INVALID)", async (_, mint, reason) => {
      const token = await mint();
      const error = await collectWith({ PROVENANT_ID_TOKEN: token, [ISSUER_VARIABLE]: external.issuer }).catch((e) => e);
      expect(isProvenantError(error, "TOKEN_INVALID")).toBe(true);
      expect(error.message).toContain(reason);
      expect(error.message).not.toContain(token);
    });

    it("with the default claims only: verified, environment facts, the issuer recorded", async () => {
      const token = await external.sign(defaultClaims());
      const { provenance } = await collectWith({ PROVENANT_ID_TOKEN: token, [ISSUER_VARIABLE]: external.issuer });
      expect(provenance.runDetails.metadata?.provenant_factsSource).toBe("environment");
      expect(provenance.buildDefinition.internalParameters?.idTokenIssuer).toBe(external.issuer);
    });

    it("refuses plain http off loopback before any request (USAGE)", async () => {
      const token = await external.sign(scmClaims());
      const fetched: string[] = [];
      const context = collectContext(
        { ...env, PROVENANT_ID_TOKEN: token, [ISSUER_VARIABLE]: "http://issuer.example.com/jenkins" },
        { fetch: async (input) => { fetched.push(String(input)); throw new Error("no request expected"); } },
      );
      await expect(jenkinsFacts(context)).rejects.toMatchObject({ code: "USAGE", message: expect.stringContaining("expected https") });
      expect(fetched).toEqual([]);
    });
  });

  it("rejects a folder issuer's token issued to a job outside that folder", async () => {
    const folderIssuer = await startTestIssuer({ pathPrefix: "/oidc/job/acme" });
    try {
      const folderController = `${folderIssuer.url}/`;
      const token = await folderIssuer.sign({ ...scmClaims(), sub: `${folderController}job/other/job/app/` });
      const context = collectContext({
        ...env,
        JENKINS_URL: folderController,
        JOB_URL: "",
        BUILD_URL: `${folderController}job/acme/job/app/42/`,
        PROVENANT_ID_TOKEN: token,
        [ISSUER_VARIABLE]: folderIssuer.issuer,
      });
      await expect(jenkinsFacts(context)).rejects.toMatchObject({ code: "TOKEN_INVALID", message: expect.stringContaining("outside the folder") });
    } finally {
      await folderIssuer.close();
    }
  });

  it.each<[string, () => Promise<string>, string]>([
    ["expired", () => issuer.sign(scmClaims(), { expiresInSeconds: -600 }), "expired"],
    ["for another audience", () => issuer.sign(scmClaims(), { audience: "someone-else" }), "audience"],
    ["signed by another key", () => issuer.sign(scmClaims(), { otherKey: true }), "signature"],
    ["unsigned", () => issuer.sign(scmClaims(), { alg: "none" }), "alg"],
    ["issued to another job", () => issuer.sign({ ...scmClaims(), sub: `${controller}job/other/` }), "job/other/"],
    ["issued to another build", () => issuer.sign({ ...scmClaims(), build_number: 41 }), "#41"],
  ])("rejects a token %s", async (_, mint, reason) => {
    const token = await mint();
    const error = await collectWith({ PROVENANT_ID_TOKEN: token }).catch((e) => e);
    expect(isProvenantError(error, "TOKEN_INVALID")).toBe(true);
    expect(error.message).toContain(reason);
    expect(error.message).not.toContain(token);
  });

  it("fails when --token-variable names an unset variable, and without one runs on the environment", async () => {
    await expect(collectWith({}, { tokenVariable: "MY_TOKEN" })).rejects.toMatchObject({ code: "PLATFORM_FACTS_MISSING" });
    const { facts } = await collectWith({});
    expect(facts.factsSource).toBe("environment");
    expect(facts.tokenIssuer).toBeUndefined();
  });

  it("does not echo a variable that holds neither a token nor a file", async () => {
    const error = await collectWith({ PROVENANT_ID_TOKEN: "not-a-token-s3cret" }).catch((e) => e);
    expect(isProvenantError(error, "TOKEN_INVALID")).toBe(true);
    expect(error.message).toContain("PROVENANT_ID_TOKEN");
    expect(error.message).not.toContain("s3cret");
  });
});

describe("which issuers count as the controller's own", () => {
  const CONTROLLER = "https://ci.example.com/";
  const JOB = `${CONTROLLER}job/acme/job/app/job/main/`;
  const choose = (value: string | undefined, jobUrl: string | undefined = JOB) => issuerFor(value, CONTROLLER, jobUrl);

  it.each([
    [undefined, "https://ci.example.com/oidc", undefined],
    ["https://ci.example.com/oidc/", "https://ci.example.com/oidc", undefined],
    ["https://ci.example.com/oidc/job/acme", "https://ci.example.com/oidc/job/acme", "https://ci.example.com/job/acme/"],
    ["https://ci.example.com/oidc/job/acme/job/app", "https://ci.example.com/oidc/job/acme/job/app", "https://ci.example.com/job/acme/job/app/"],
  ])("%s: the controller's root or a folder holding the job", (value, issuer, folderUrl) => {
    expect(choose(value)).toEqual({ external: false, issuer, ...(folderUrl ? { folderUrl } : {}) });
  });

  it.each([
    ["an external issuer", "https://issuer.example.com/jenkins", "not served by this controller"],
    ["an external issuer with a trailing slash, kept for the exact iss", "https://issuer.example.com/", "not served by this controller"],
    ["a look-alike host", "https://ci.example.com.evil.example/oidc", "not served by this controller"],
    ["a look-alike path", "https://ci.example.com/oidcx", "not served by this controller"],
    ["an archived artifact under JENKINS_URL", "https://ci.example.com/job/evil/lastSuccessfulBuild/artifact", "not served by this controller"],
    ["a path the plugin does not serve", "https://ci.example.com/job/acme/oidc", "not served by this controller"],
    ["another folder's issuer", "https://ci.example.com/oidc/job/other", "does not hold this job"],
    ["a sibling folder with a common prefix", "https://ci.example.com/oidc/job/ac", "does not hold this job"],
  ])("%s is external", (_, value, reason) => {
    expect(choose(value)).toEqual({ external: true, issuer: value, reason: expect.stringContaining(reason) });
  });

  it.each([
    ["plain http off loopback", "http://issuer.example.com/jenkins"],
    ["a query", "https://ci.example.com/oidc/job/acme?x=1"],
    ["user information", "https://user:pw@issuer.example.com/"],
    ["not a URL", "issuer.example.com"],
  ])("refuses an external issuer with %s (USAGE), without repeating credentials", (_, value) => {
    expect(() => choose(value)).toThrow(expect.objectContaining({ code: "USAGE", message: expect.not.stringContaining("pw@") }));
  });
});

describe("serviceIdToken: the token provenant attest --server sends", () => {
  it("is the bound token, or the one in the file the variable names", async () => {
    const token = await issuer.sign({ sub: jobUrl });
    expect(await serviceIdToken({ PROVENANT_ID_TOKEN: token }, process.cwd(), undefined, "https://vault.example.com")).toBe(token);
    const dir = await mkdtemp(join(tmpdir(), "provenant-service-token-"));
    try {
      await writeFile(join(dir, "token"), `${token}\n`);
      expect(await serviceIdToken({ OIDC_FILE: "token" }, dir, "OIDC_FILE", "https://vault.example.com")).toBe(token);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("fails naming the credential to bind when there is none; never hands back nothing", async () => {
    await expect(serviceIdToken({}, process.cwd(), undefined, "https://vault.example.com")).rejects.toMatchObject({
      code: "PLATFORM_FACTS_MISSING",
      message: expect.stringMatching(/PROVENANT_ID_TOKEN: bind an OpenID Connect id token credential .*https:\/\/vault\.example\.com/),
    });
  });
});
