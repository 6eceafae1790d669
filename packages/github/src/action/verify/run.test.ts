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
