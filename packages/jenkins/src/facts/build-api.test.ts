import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { parseProvenance } from "@provenant/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jenkinsProvenance } from "../provenance/provenance.js";
import { collectContext } from "../test-fixtures/context.js";
import { freestyle } from "../test-fixtures/environments.js";
import { jenkinsFacts } from "./collect.js";

// `<BUILD_URL>api/json` of a finished freestyle build, in the shape of
// Jenkins' remote access API (hudson.model.FreeStyleBuild): `actions` mixes
// `{}` with CauseAction and ParametersAction entries; a password parameter
// is listed by name with no value; timestamp is epoch ms.
const BUILD_JSON = {
  _class: "hudson.model.FreeStyleBuild",
  actions: [
    {
      _class: "hudson.model.CauseAction",
      causes: [
        { _class: "hudson.model.Cause$UserIdCause", shortDescription: "Started by user Jane Doe", userId: "jane", userName: "Jane Doe" },
        {
          _class: "hudson.model.Cause$UpstreamCause",
          shortDescription: "Started by upstream project \"platform/nightly\" build number 88",
          upstreamBuild: 88,
          upstreamProject: "platform/nightly",
          upstreamUrl: "job/platform/job/nightly/",
        },
      ],
    },
    {
      _class: "hudson.model.ParametersAction",
      parameters: [
        { _class: "hudson.model.StringParameterValue", name: "TARGET", value: "prod" },
        { _class: "hudson.model.BooleanParameterValue", name: "DRY_RUN", value: false },
        { _class: "hudson.model.PasswordParameterValue", name: "DEPLOY_PASSWORD", value: "leaked-if-recorded" },
      ],
    },
    {},
    { _class: "hudson.plugins.git.util.BuildData" },
  ],
  building: false,
  duration: 93_500,
  number: 17,
  result: "SUCCESS",
  timestamp: 1795_000_000_000,
};

const USER = "jane";
const API_TOKEN = "11aa22bb33cc44dd55ee66ff77aa88bb99";
let server: Server;
let controller: string;
const seen: { path: string; authorization?: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ path: req.url ?? "", ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
    const expected = `Basic ${Buffer.from(`${USER}:${API_TOKEN}`).toString("base64")}`;
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { "content-type": "text/html" }).end("<html>Unauthorized</html>");
      return;
    }
    if (!req.url?.startsWith("/job/app-build/17/api/json")) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(BUILD_JSON));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  controller = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function environment(extra: Record<string, string>) {
  return { ...freestyle, JENKINS_URL: controller, BUILD_URL: `${controller}job/app-build/17/`, ...extra };
}

describe("enrichment from the Jenkins JSON API", () => {
  it("records causes, parameters without passwords, start and finish", async () => {
    const context = collectContext(environment({ JENKINS_USER_ID: USER, JENKINS_API_TOKEN: API_TOKEN }));
    const provenance = parseProvenance(jenkinsProvenance(await jenkinsFacts(context)));
    expect(context.warnings).toEqual([]);
    expect(provenance.buildDefinition.externalParameters.parameters).toEqual({ TARGET: "prod", DRY_RUN: false });
    expect(provenance.buildDefinition.internalParameters?.causes).toEqual([
      { type: "hudson.model.Cause$UserIdCause", description: "Started by user Jane Doe", userId: "jane" },
      {
        type: "hudson.model.Cause$UpstreamCause",
        description: "Started by upstream project \"platform/nightly\" build number 88",
        upstreamProject: "platform/nightly",
        upstreamBuild: 88,
        upstreamUrl: "job/platform/job/nightly/",
      },
    ]);
    expect(provenance.runDetails.metadata).toMatchObject({
      startedOn: new Date(1795_000_000_000).toISOString(),
      finishedOn: new Date(1795_000_093_500).toISOString(),
    });
    const text = JSON.stringify(provenance);
    expect(text).not.toContain("DEPLOY_PASSWORD");
    expect(text).not.toContain("leaked-if-recorded");
    expect(text).not.toContain(API_TOKEN);
    expect(seen.at(-1)?.path).toMatch(/^\/job\/app-build\/17\/api\/json\?tree=/);
  });

  it("a rejected API token gives a warning, not a failure, and the warning holds no token", async () => {
    const context = collectContext(environment({ JENKINS_USER_ID: USER, JENKINS_API_TOKEN: "wrong-token-value" }));
    const provenance = jenkinsProvenance(await jenkinsFacts(context));
    expect(provenance.buildDefinition.externalParameters.parameters).toBeUndefined();
    expect(context.warnings).toEqual([expect.stringContaining("answered HTTP 401")]);
    expect(context.warnings.join("\n")).not.toContain("wrong-token-value");
  });

  it("an unreachable controller gives a warning", async () => {
    // A port nothing listens on: bind one, then close it.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const gone = `http://127.0.0.1:${port}/`;
    const context = collectContext({
      ...freestyle,
      JENKINS_URL: gone,
      BUILD_URL: `${gone}job/app-build/17/`,
      JENKINS_USER_ID: USER,
      JENKINS_API_TOKEN: API_TOKEN,
    });
    const provenance = parseProvenance(jenkinsProvenance(await jenkinsFacts(context)));
    expect(provenance.buildDefinition.internalParameters?.causes).toBeUndefined();
    expect(context.warnings).toEqual([expect.stringContaining(`cannot reach ${gone}job/app-build/17/api/json`)]);
  });

  it.each<[string, (controller: string, elsewhere: string) => Record<string, string>]>([
    ["another origin", (_, elsewhere) => ({ BUILD_URL: `${elsewhere}job/app-build/17/` })],
    // Same origin, a path beside the controller's: another application, or another Jenkins.
    ["another path on the same origin", (ctl) => ({ JENKINS_URL: `${ctl}jenkins/`, BUILD_URL: `${ctl}jenkins-other/job/app-build/17/` })],
  ])("sends the API token to no BUILD_URL outside JENKINS_URL (%s): a warning, no request", async (_, urls) => {
    const elsewhereSeen: string[] = [];
    const elsewhere = createServer((req, res) => {
      elsewhereSeen.push(req.headers.authorization ?? "");
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(BUILD_JSON));
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, "127.0.0.1", resolve));
    try {
      const elsewhereUrl = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}/`;
      const before = seen.length;
      const context = collectContext(environment({ JENKINS_USER_ID: USER, JENKINS_API_TOKEN: API_TOKEN, ...urls(controller, elsewhereUrl) }));
      const provenance = parseProvenance(jenkinsProvenance(await jenkinsFacts(context)));
      expect(provenance.buildDefinition.internalParameters?.causes).toBeUndefined();
      expect(elsewhereSeen).toEqual([]);
      expect(seen.length).toBe(before);
      expect(context.warnings).toEqual([expect.stringContaining("is not under JENKINS_URL")]);
      expect(context.warnings.join("\n")).not.toContain(API_TOKEN);
    } finally {
      await new Promise<void>((resolve) => elsewhere.close(() => resolve()));
    }
  });

  it("asks the controller when it is served under a path and BUILD_URL lies beneath it", async () => {
    // JENKINS_URL with a path (`--prefix`); `/job/` stands in for it, the only path the test server answers.
    const context = collectContext(
      environment({ JENKINS_USER_ID: USER, JENKINS_API_TOKEN: API_TOKEN, JENKINS_URL: `${controller}job/`, BUILD_URL: `${controller}job/app-build/17/` }),
    );
    const provenance = parseProvenance(jenkinsProvenance(await jenkinsFacts(context)));
    expect(context.warnings).toEqual([]);
    expect(provenance.buildDefinition.externalParameters.parameters).toEqual({ TARGET: "prod", DRY_RUN: false });
  });

  it("asks nothing without an API token", async () => {
    const before = seen.length;
    const context = collectContext(environment({}));
    await jenkinsFacts(context);
    expect(seen.length).toBe(before);
    expect(context.warnings).toEqual([]);
  });
});
