import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { attest, generateKeyPair, keySigner, privateKeyFromPem } from "@provenant/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runVerifyTask } from "./run.js";

// issue 12 §1: a report reason quotes the document; in an Azure log a line
// starting with `##vso[` is a logging command, so none may be forged.
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "provenant-azure-escape-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe("ProvenantVerify@1 log lines", () => {
  it("escape hostile text from the provenance, so no ##vso[ command can be forged", async () => {
    const keys = generateKeyPair("ecdsa-p256");
    await writeFile(join(dir, "app.tgz"), "the artifact");
    const hostile = "x\n##vso[task.setvariable variable=verified]true\n##[error]forged";
    const { bundle } = await attest(
      [{ name: "app.tgz", digest: { sha256: "0".repeat(64) } }],
      {
        buildDefinition: { buildType: "https://provenant.dev/buildtypes/local/v1", externalParameters: {} },
        runDetails: { builder: { id: `https://b.example/${hostile}` } },
      },
      keySigner(privateKeyFromPem(keys.privateKeyPem)),
    );
    await writeFile(join(dir, "b.json"), JSON.stringify(bundle));
    const lines: string[] = [];
    const result = await runVerifyTask(
      {
        artifactPatterns: ["app.tgz"],
        bundlePath: "b.json",
        environment: {},
        workingDirectory: dir,
        publicKeys: [keys.publicKeyPem],
        publicKeyFiles: [],
        builderId: "https://ci.example.com/",
      },
      { log: (m) => lines.push(m), warn: (m) => lines.push(m), fetch: globalThis.fetch, now: () => new Date() },
    );
    expect(result.report.verified).toBe(false);
    const log = lines.join("\n");
    expect(log).toContain("\\u000a#\\u0023vso[task.setvariable");
    // Not at the start of a line, and not inside one either.
    for (const line of log.split("\n")) {
      expect(line.startsWith("##"), line).toBe(false);
      expect(line.includes("##vso[") || line.includes("##["), line).toBe(false);
    }
  });
});
