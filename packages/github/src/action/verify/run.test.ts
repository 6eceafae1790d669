import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPair, isProvenantError } from "@provenant/core";
import { beforeAll, describe, expect, it } from "vitest";
import { pushTag, runnerEnvironment } from "../../test-support/scenarios.js";
import { runAttestAction } from "../attest/run.js";
import type { ActionContext } from "../context.js";
import { attestInputsFrom, verifyInputsFrom } from "../inputs.js";
import { runVerifyAction } from "./run.js";

const keys = generateKeyPair("ecdsa-p256");
const otherKeys = generateKeyPair("ecdsa-p256");
let context: ActionContext;

beforeAll(async () => {
  const workspace = await mkdtemp(join(tmpdir(), "provenant-verify-action-"));
  await writeFile(join(workspace, "app.tar.gz"), "release archive");
  await writeFile(join(workspace, "other.tar.gz"), "something else");
  await writeFile(join(workspace, "provenant.pub"), keys.publicKeyPem);
  context = {
    // No id-token permission: environment facts, SLSA Build L1.
    env: runnerEnvironment(pushTag()),
    cwd: workspace,
    fetch: globalThis.fetch,
    info: () => {},
    warn: () => {},
    now: () => new Date(),
  };
  const attestInputs: Record<string, string> = { "subject-path": "app.tar.gz", "signing-key": keys.privateKeyPem, "bundle-path": "app.sigstore.json" };
  await runAttestAction(attestInputsFrom((name) => attestInputs[name] ?? ""), context);
});

const verifyWith = (values: Record<string, string>) =>
  runVerifyAction(verifyInputsFrom((name) => ({ "bundle-path": "app.sigstore.json", "public-key": "provenant.pub", ...values })[name] ?? ""), context);

describe("runVerifyAction", () => {
  it("passes an artifact whose provenance meets the policy", async () => {
    const result = await verifyWith({ "subject-path": "app.tar.gz", "source-uri": "github.com/codertocat/*", "source-tag": "simple-tag" });
    expect(result.verified).toBe(true);
    expect(result.failures).toEqual([]);
    expect(result.summary).toMatch(/Provenance verified/);
  });

  it("gates on the builder id, by its name part or pinned to its ref", async () => {
    const first = await verifyWith({ "subject-path": "app.tar.gz" });
    const builderId = first.report.provenance!.runDetails.builder.id;
    const name = builderId.slice(0, builderId.indexOf("@refs/"));
    expect((await verifyWith({ "subject-path": "app.tar.gz", "builder-id": name })).verified).toBe(true);
    expect((await verifyWith({ "subject-path": "app.tar.gz", "builder-id": builderId })).verified).toBe(true);
    const other = await verifyWith({ "subject-path": "app.tar.gz", "builder-id": `${name}@refs/heads/other` });
    expect(other.verified).toBe(false);
    expect(other.failures.join("\n")).toMatch(/builder id/);
    // The scenario's tag is not a version, so a versioned-tag rule cannot pass.
    const versioned = await verifyWith({ "subject-path": "app.tar.gz", "source-versioned-tag": ">=1.0.0" });
    expect(versioned.verified).toBe(false);
    expect(versioned.failures.join("\n")).toMatch(/versioned tag|simple-tag/);
  });

  it("passes a versioned tag inside the range and fails one outside it", async () => {
    const scenario = pushTag();
    const ref = "refs/tags/v1.4.0";
    const tagged = { ...scenario, payload: { ...scenario.payload, ref }, claims: { ...scenario.claims, ref, workflow_ref: scenario.claims.workflow_ref.replace(/@.*$/, `@${ref}`) } };
    const env = runnerEnvironment(tagged);
    const attestInputs: Record<string, string> = { "subject-path": "app.tar.gz", "signing-key": keys.privateKeyPem, "bundle-path": "v1.sigstore.json" };
    await runAttestAction(attestInputsFrom((name) => attestInputs[name] ?? ""), { ...context, env });
    const inRange = await verifyWith({ "bundle-path": "v1.sigstore.json", "subject-path": "app.tar.gz", "source-versioned-tag": "^1.2.0" });
    expect(inRange.failures).toEqual([]);
    expect(inRange.verified).toBe(true);
    const outside = await verifyWith({ "bundle-path": "v1.sigstore.json", "subject-path": "app.tar.gz", "source-versioned-tag": ">=2" });
    expect(outside.verified).toBe(false);
  });

  it("accepts the public key as PEM text", async () => {
    const result = await verifyWith({ "subject-path": "app.tar.gz", "public-key": keys.publicKeyPem });
    expect(result.verified).toBe(true);
  });

  it("fails with the reasons when the policy is not met", async () => {
    const result = await verifyWith({ "subject-path": "app.tar.gz", "source-branch": "main", "slsa-level": "2" });
    expect(result.verified).toBe(false);
    expect(result.failures.join("\n")).toMatch(/source branch/);
    expect(result.failures.join("\n")).toMatch(/L1/);
    expect(result.summary).toMatch(/NOT verified/);
  });

  it("fails for an artifact the provenance does not name", async () => {
    const result = await verifyWith({ "subject-path": "other.tar.gz" });
    expect(result.verified).toBe(false);
    expect(result.report.checks.find((c) => c.id === "subject")?.status).toBe("fail");
  });

  it("fails for a key that did not sign", async () => {
    const result = await verifyWith({ "subject-path": "app.tar.gz", "public-key": otherKeys.publicKeyPem });
    expect(result.verified).toBe(false);
    expect(result.report.checks.find((c) => c.id === "signature")?.status).toBe("fail");
  });

  it.each([
    ["no artifact", {}, "USAGE"],
    ["a malformed digest", { "subject-digest": "sha256:nothex" }, "INVALID_DIGEST"],
    ["a bad semver range", { "subject-path": "app.tar.gz", "source-versioned-tag": "not a range" }, "INVALID_POLICY"],
    ["a missing bundle", { "subject-path": "app.tar.gz", "bundle-path": "nope.json" }, "IO_ERROR"],
  ])("refuses %s", async (_name, values: Record<string, string>, code) => {
    const error = await verifyWith(values).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isProvenantError(error) && error.code).toBe(code);
  });
});
