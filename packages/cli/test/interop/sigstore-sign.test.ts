import { execFileSync } from "node:child_process";
import { createHash, createPublicKey, generateKeyPairSync, sign } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bundleToJSON } from "@sigstore/bundle";
import { DSSEBundleBuilder, type Signer } from "@sigstore/sign";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, temporaryDirectory } from "./cli-process.js";

// The other direction from sigstore-verify.test.ts: a bundle that Provenant
// did not write. sigstore-js's own DSSE bundle builder signs an in-toto
// statement whose predicate has the fields GitHub's actions/attest-build-provenance
// writes (buildType workflow/v1, externalParameters.workflow, internalParameters.github,
// the builder id and invocation URL of a run); `provenant verify` must read it
// by the source convention and apply a policy to it.

const work = temporaryDirectory();
const artifact = "release artifact\n";
const artifactDigest = createHash("sha256").update(artifact).digest("hex");
const commit = "7d4e0f1b7c8a3a8f4e2b1c9d0e6f5a4b3c2d1e0f";

function githubStatement() {
  const server = "https://github.com";
  const workflowRef = "acme/app/.github/workflows/release.yml@refs/tags/v1.4.0";
  return {
    _type: "https://in-toto.io/Statement/v1",
    subject: [{ name: "app.tgz", digest: { sha256: artifactDigest } }],
    predicateType: "https://slsa.dev/provenance/v1",
    predicate: {
      buildDefinition: {
        buildType: "https://actions.github.io/buildtypes/workflow/v1",
        externalParameters: { workflow: { ref: "refs/tags/v1.4.0", repository: `${server}/acme/app`, path: ".github/workflows/release.yml" } },
        internalParameters: {
          github: { event_name: "push", repository_id: "123456", repository_owner_id: "654321", runner_environment: "github-hosted" },
        },
        resolvedDependencies: [{ uri: `git+${server}/acme/app@refs/tags/v1.4.0`, digest: { gitCommit: commit } }],
      },
      runDetails: {
        builder: { id: `${server}/${workflowRef}` },
        metadata: { invocationId: `${server}/acme/app/actions/runs/987654/attempts/1` },
      },
    },
  };
}

/** A key pair made by node:crypto, not by `provenant keys generate`. */
const keys = generateKeyPairSync("ec", { namedCurve: "P-256" });
const publicKeyPem = keys.publicKey.export({ type: "spki", format: "pem" }).toString();
const keyId = createHash("sha256")
  .update(createPublicKey(publicKeyPem).export({ type: "spki", format: "der" }))
  .digest("hex");

function signerWith(key: Awaited<ReturnType<Signer["sign"]>>["key"]): Signer {
  return { sign: async (data) => ({ signature: sign("sha256", data, keys.privateKey), key }) };
}

async function sigstoreJsBundle(signer: Signer, file: string) {
  // No witnesses: no transparency log and no timestamp authority, as in a private deployment.
  const builder = new DSSEBundleBuilder({ signer, witnesses: [] });
  const bundle = await builder.create({ data: Buffer.from(JSON.stringify(githubStatement())), type: "application/vnd.in-toto+json" });
  writeFileSync(join(work.path, file), JSON.stringify(bundleToJSON(bundle)));
  return bundleToJSON(bundle);
}

beforeAll(() => {
  writeFileSync(join(work.path, "app.tgz"), artifact);
  writeFileSync(join(work.path, "trusted.pub"), publicKeyPem);
  writeFileSync(join(work.path, "other.pub"), generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "pem" }));
});
afterAll(() => work.remove());

describe("a bundle written by sigstore-js, read by `provenant verify`", () => {
  it("verifies a public-key bundle and applies the policy to its GitHub-shaped provenance", async () => {
    const json = await sigstoreJsBundle(signerWith({ $case: "publicKey", publicKey: publicKeyPem, hint: keyId }), "foreign.sigstore.json");
    expect(json.verificationMaterial.publicKey?.hint).toBe(keyId);
    const policy = ["--source-uri", "github.com/acme/*", "--source-versioned-tag", "^1.2.0", "--builder-id", "https://github.com/acme/app/.github/workflows/release.yml"];
    const ok = runCli(["verify", "app.tgz", "--bundle", "foreign.sigstore.json", "--key", "trusted.pub", ...policy], work.path);
    expect(ok.stderr).toBe("");
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain(`signed by trusted key ${keyId}`);
    expect(ok.stdout).toContain("PASS  versioned tag      tag v1.4.0 is in ^1.2.0\n");
    // Nothing in a foreign document says its facts were token-verified.
    expect(ok.stdout).toContain("SLSA Build L1: hosted build platform, but the provenance does not record that its facts came from a verified OIDC token");

    const otherBranch = runCli(["verify", "--allow-any-source", "app.tgz", "--bundle", "foreign.sigstore.json", "--key", "trusted.pub", "--source-branch", "main"], work.path);
    expect(otherBranch.status).toBe(1);
    const untrusted = runCli(["verify", "--allow-any-source", "app.tgz", "--bundle", "foreign.sigstore.json", "--key", "other.pub"], work.path);
    expect(untrusted.status).toBe(1);
    expect(untrusted.stdout).toMatch(/FAIL.*signature/i);
  });

  it("inspects a certificate-form (keyless) bundle, and verifies it only against a trusted key", async () => {
    // A throwaway self-signed certificate for the same key, as Fulcio would issue for a keyless signer.
    writeFileSync(join(work.path, "signer.key"), keys.privateKey.export({ type: "pkcs8", format: "pem" }));
    execFileSync("openssl", ["req", "-x509", "-new", "-key", "signer.key", "-subj", "/CN=ci@acme.example", "-days", "1", "-out", "signer.crt"], {
      cwd: work.path,
      stdio: ["ignore", "ignore", "pipe"],
    });
    const certificate = readFileSync(join(work.path, "signer.crt"), "utf8");
    const json = await sigstoreJsBundle(signerWith({ $case: "x509Certificate", certificate }), "keyless.sigstore.json");
    // The certificate form: the DER of the very certificate, not a public key.
    const der = Buffer.from(certificate.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, ""), "base64");
    expect(json.verificationMaterial.certificate?.rawBytes).toBe(der.toString("base64"));
    expect(json.verificationMaterial.publicKey).toBeUndefined();

    const shown = runCli(["inspect", "keyless.sigstore.json"], work.path);
    expect(shown.status).toBe(0);
    expect(shown.stdout).toContain("https://actions.github.io/buildtypes/workflow/v1");
    expect(shown.stdout).toContain("source ref      refs/tags/v1.4.0\n");
    expect(shown.stdout).toContain(`source commit   ${commit}\n`);

    const untrusted = runCli(["verify", "--allow-any-source", "app.tgz", "--bundle", "keyless.sigstore.json", "--key", "other.pub"], work.path);
    expect(untrusted.status).toBe(1);
    expect(untrusted.stdout).toContain("Provenant trusts only the public keys it is given");
    const trusted = runCli(["verify", "--allow-any-source", "app.tgz", "--bundle", "keyless.sigstore.json", "--key", "trusted.pub"], work.path);
    expect(trusted.status).toBe(0);
  });
});
