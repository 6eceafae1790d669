import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUILD_TYPES, SLSA_PROVENANCE_V1, STATEMENT_TYPE, sourceDependency } from "@provenant/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  requirePythonCryptography,
  runCli,
  runCliOk,
  runPython,
  temporaryDirectory,
} from "./cli-process.js";

// DSSE outside Node: dsse_interop.py implements PAE, key ids and the bundle
// layout from the specifications with Debian's python3-cryptography, sharing
// no code with Provenant. Both directions must agree.

const work = temporaryDirectory();
const ARTIFACT_TEXT = "release artifact\n";
const ARTIFACT_SHA256 = createHash("sha256").update(ARTIFACT_TEXT).digest("hex");

function keyIdOfPem(pem: string): string {
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");
  return createHash("sha256").update(der).digest("hex");
}

beforeAll(() => {
  requirePythonCryptography();
  writeFileSync(join(work.path, "artifact.tgz"), ARTIFACT_TEXT);
});

afterAll(() => work.remove());

describe("an envelope from `provenant attest` verified by Python", () => {
  for (const algorithm of ["ecdsa-p256", "ecdsa-p384", "ed25519", "rsa-3072"]) {
    it(`verifies the ${algorithm} bundle and its .intoto.jsonl envelope, naming the same key id`, () => {
      const keyId = runCliOk(["keys", "generate", "--algorithm", algorithm, "--out", algorithm], work.path).trim();
      runCliOk(
        [
          "attest",
          "artifact.tgz",
          "--key",
          `${algorithm}.key`,
          "--platform",
          "local",
          "--bundle",
          `${algorithm}.sigstore.json`,
          "--intoto-jsonl",
          `${algorithm}.intoto.jsonl`,
        ],
        work.path,
      );
      for (const document of [`${algorithm}.sigstore.json`, `${algorithm}.intoto.jsonl`]) {
        const result = runPython(["verify", document, `${algorithm}.pub`], work.path);
        expect(result.stderr).toBe("");
        expect(result.status).toBe(0);
        const summary = JSON.parse(result.stdout);
        expect(summary.verified).toBe(true);
        expect(summary.keyid).toBe(keyId);
        expect(summary.expectedKeyid).toBe(keyId);
        expect(summary.statementType).toBe(STATEMENT_TYPE);
        expect(summary.predicateType).toBe(SLSA_PROVENANCE_V1);
        expect(summary.subjects).toEqual([{ name: "artifact.tgz", digest: { sha256: ARTIFACT_SHA256 } }]);
      }
    });
  }

  it("rejects the envelope when the payload was altered after signing", () => {
    runCliOk(["keys", "generate", "--out", "tamper"], work.path);
    runCliOk(["attest", "artifact.tgz", "--key", "tamper.key", "--platform", "local", "--bundle", "tamper.json"], work.path);
    const bundle = JSON.parse(readFileSync(join(work.path, "tamper.json"), "utf8"));
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, "base64").toString("utf8"));
    statement.subject[0].name = "other.tgz";
    bundle.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString("base64");
    writeFileSync(join(work.path, "tamper.json"), JSON.stringify(bundle));
    const result = runPython(["verify", "tamper.json", "tamper.pub"], work.path);
    expect(result.status).toBe(1);
    expect(JSON.parse(result.stdout).error).toBe("signature does not verify");
  });
});

describe("an envelope signed by Python verified by `provenant verify`", () => {
  const repository = "https://git.example.com/acme/app";
  // A SLSA v1.0 statement of the local buildType (docs/buildtypes/local-v1.md),
  // serialised by Python's json.dumps, not by Provenant.
  const statement = {
    _type: STATEMENT_TYPE,
    subject: [{ name: "artifact.tgz", digest: { sha256: ARTIFACT_SHA256 } }],
    predicateType: SLSA_PROVENANCE_V1,
    predicate: {
      buildDefinition: {
        buildType: BUILD_TYPES.local,
        externalParameters: { command: "make release", note: "built by caf\u00e9 team" },
        resolvedDependencies: [
          sourceDependency(repository, "refs/heads/main", "0123456789abcdef0123456789abcdef01234567"),
        ],
      },
      runDetails: {
        builder: { id: "https://git.example.com/acme/app/builders/python" },
        metadata: { startedOn: "2026-11-01T10:00:00Z", finishedOn: "2026-11-01T10:05:00Z" },
      },
    },
  };

  for (const algorithm of ["ecdsa-p256", "ed25519"]) {
    describe(algorithm, () => {
      const prefix = `python-${algorithm}`;
      let pythonKeyId: string;

      beforeAll(() => {
        writeFileSync(join(work.path, `${prefix}.statement.json`), JSON.stringify(statement));
        const signed = runPython(["sign", algorithm, `${prefix}.statement.json`, prefix], work.path);
        if (signed.status !== 0) throw new Error(`dsse_interop.py sign failed:\n${signed.stderr}`);
        pythonKeyId = JSON.parse(signed.stdout).keyid;
      });

      it("uses the key id Provenant computes for the same public key", () => {
        expect(pythonKeyId).toBe(keyIdOfPem(readFileSync(join(work.path, `${prefix}.pub`), "utf8")));
      });

      for (const suffix of ["intoto.jsonl", "sigstore.json"]) {
        it(`verifies the ${suffix} against the artifact and a source policy`, () => {
          const result = runCli(
            [
              "verify",
              "artifact.tgz",
              "--bundle",
              `${prefix}.${suffix}`,
              "--key",
              `${prefix}.pub`,
              "--source-uri",
              "git.example.com/acme/*",
              "--source-branch",
              "main",
              "--json",
            ],
            work.path,
          );
          expect(result.stderr).toBe("");
          expect(result.status).toBe(0);
          const report = JSON.parse(result.stdout);
          expect(report.verified).toBe(true);
          expect(report.signedBy).toEqual([pythonKeyId]);
          expect(report.source).toMatchObject({ uri: repository, branch: "main" });
        });
      }

      it("fails with exit 1 when the envelope was altered after Python signed it", () => {
        const line = readFileSync(join(work.path, `${prefix}.intoto.jsonl`), "utf8").trim();
        const envelope = JSON.parse(line);
        const altered = structuredClone(statement);
        altered.predicate.runDetails.builder.id = "https://evil.example.com/builder";
        envelope.payload = Buffer.from(JSON.stringify(altered)).toString("base64");
        writeFileSync(join(work.path, `${prefix}.altered.intoto.jsonl`), `${JSON.stringify(envelope)}\n`);
        const result = runCli(
          ["verify", "--allow-any-source", "artifact.tgz", "--bundle", `${prefix}.altered.intoto.jsonl`, "--key", `${prefix}.pub`, "--json"],
          work.path,
        );
        expect(result.status).toBe(1);
        const report = JSON.parse(result.stdout);
        expect(report.checks.find((c: { id: string }) => c.id === "signature")).toMatchObject({
          status: "fail",
          code: "SIGNATURE_INVALID",
        });
      });

      it("fails with exit 1 when trusting a Provenant key instead of Python's", () => {
        runCliOk(["keys", "generate", "--out", `${prefix}-other`], work.path);
        const result = runCli(
          ["verify", "--allow-any-source", "artifact.tgz", "--bundle", `${prefix}.sigstore.json`, "--key", `${prefix}-other.pub`, "--json"],
          work.path,
        );
        expect(result.status).toBe(1);
        const report = JSON.parse(result.stdout);
        expect(report.checks.find((c: { id: string }) => c.id === "signature")).toMatchObject({ code: "UNTRUSTED_KEY" });
      });
    });
  }
});
