import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPair } from "@provenant/core";
import { listAttestations, parseImageReference, RegistryClient } from "@provenant/oci";
import {
  type LayoutImage,
  makeOciLayout,
  removeLayouts,
  skopeoCopy,
  skopeoInspectRaw,
  startRegistry,
  type TestRegistry,
} from "@provenant/oci/testing";
import { startTestIssuer, type TestIssuer } from "@provenant/oidc/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { provenantFailure } from "../test-support/failure.js";
import { tokenJobContext } from "../test-support/action-context.js";
import { pushTag } from "../test-support/scenarios.js";
import { runAttestAction } from "./attest/run.js";
import type { ActionContext } from "./context.js";
import { attestInputsFrom, verifyInputsFrom } from "./inputs.js";
import { runVerifyAction } from "./verify/run.js";

// push-to-registry and the verify action's `image` input against Debian's
// docker-registry (distribution 2.8: no referrers API, so the sha256-<hex>
// tag index is what gets written) behind htpasswd Basic auth.
let issuer: TestIssuer;
let registry: TestRegistry;
let image: LayoutImage;
let workspace: string;
let imageName: string;
const keys = generateKeyPair("ecdsa-p256");
const otherKeys = generateKeyPair("ecdsa-p256");

beforeAll(async () => {
  [issuer, registry] = await Promise.all([startTestIssuer(), startRegistry({ basicAuth: true })]);
  image = await makeOciLayout("github-push-to-registry");
  await skopeoCopy(image, registry, "acme/app");
  imageName = `${registry.host}/acme/app`;
  workspace = await mkdtemp(join(tmpdir(), "provenant-push-to-registry-"));
  await writeFile(join(workspace, "provenant.pub"), keys.publicKeyPem);
});
afterAll(async () => {
  removeLayouts();
  await Promise.all([issuer?.close(), registry?.close()]);
});

const job = (env: Record<string, string> = {}): ActionContext => {
  const context = tokenJobContext(issuer, pushTag(), workspace);
  return { ...context, env: { ...context.env, HOME: join(workspace, "no-home"), ...env } };
};
const credentials = () => ({ "registry-username": registry.credentials!.username, "registry-password": registry.credentials!.password });

const attest = (values: Record<string, string>, context = job()) =>
  runAttestAction(
    attestInputsFrom((name) => ({ "signing-key": keys.privateKeyPem, "oidc-issuer": issuer.issuer, "bundle-path": "image.sigstore.json", ...values })[name] ?? ""),
    context,
  );
const verifyImage = async (values: Record<string, string>, context = job()) =>
  runVerifyAction(verifyInputsFrom((name) => ({ "public-key": "provenant.pub", ...values })[name] ?? ""), context);

describe("attest with push-to-registry", () => {
  it("pushes the bundle beside the image with the registry-username/password inputs; skopeo sees it", async () => {
    const result = await attest({ "push-to-registry": "true", "subject-name": imageName, "subject-digest": image.digest, ...credentials() });
    expect(result.subjects).toEqual([{ name: imageName, digest: { sha256: image.digest.slice(7) } }]);
    expect(result.pushed).toEqual([{ image: `${imageName}@${image.digest}`, attestation: expect.stringMatching(/^sha256:[0-9a-f]{64}$/), via: "referrers-tag" }]);
    expect(result.summary).toContain(`provenant verify --image ${imageName}@${image.digest} --key provenant.pub`);

    const index = (await skopeoInspectRaw(registry, `acme/app:sha256-${image.digest.slice(7)}`)) as { manifests: { digest: string; artifactType?: string }[] };
    expect(index.manifests).toContainEqual(
      expect.objectContaining({ digest: result.pushed[0]!.attestation, artifactType: "application/vnd.dev.sigstore.bundle.v0.3+json" }),
    );
  });

  it("uses the docker config docker/login-action writes when no credentials are given", async () => {
    const home = join(workspace, "home");
    await mkdir(join(home, ".docker"), { recursive: true });
    const { username, password } = registry.credentials!;
    await writeFile(join(home, ".docker/config.json"), JSON.stringify({ auths: { [registry.host]: { auth: Buffer.from(`${username}:${password}`).toString("base64") } } }));
    const result = await attest({ "push-to-registry": "true", "subject-name": imageName, "subject-digest": image.digest, "bundle-path": "second.sigstore.json" }, job({ HOME: home }));
    expect(result.pushed).toHaveLength(1);

    // The first test's attestation is still there beside the second.
    const client = new RegistryClient({ credentials: async () => registry.credentials });
    const listed = await listAttestations(client, parseImageReference(imageName), image.digest);
    expect(listed.map((a) => a.manifestDigest)).toContain(result.pushed[0]!.attestation);
    expect(listed.length).toBeGreaterThanOrEqual(2);
  });

  it.each([
    ["without subject-name", { "subject-digest": `sha256:${"a".repeat(64)}`, "subject-path": "provenant.pub" }, "USAGE"],
    ["with a tag in subject-name", { "subject-name": "ghcr.io/acme/app:1.0", "subject-digest": `sha256:${"a".repeat(64)}` }, "USAGE"],
    ["with a username but no password", { "subject-name": "ghcr.io/acme/app", "subject-digest": `sha256:${"a".repeat(64)}`, "registry-username": "ci" }, "USAGE"],
  ])("refuses push-to-registry %s before pushing", async (_name, values: Record<string, string>, code) => {
    const error = await provenantFailure(attest({ "push-to-registry": "true", ...values }));
    expect(error.code).toBe(code);
  });

  it("refuses a push-to-registry value that is not a boolean", () => {
    expect(() => attestInputsFrom((name) => (name === "push-to-registry" ? "yes" : ""))).toThrow(/push-to-registry.*expected true or false/);
  });

  it("fails with a coded error for an image the registry does not hold", async () => {
    const missing = `sha256:${"e".repeat(64)}`;
    const error = await provenantFailure(attest({ "push-to-registry": "true", "subject-name": imageName, "subject-digest": missing, ...credentials() }));
    expect(error.code).toBe("NO_SUBJECTS_MATCHED");
    expect(error.message).toContain("push the image before its attestation");
  });
});

describe("verify with image", () => {
  it("verifies from the registry by tag, at SLSA Build L2 with the policy met", async () => {
    const result = await verifyImage({ image: `${imageName}:${image.tag}`, "source-tag": "simple-tag", "slsa-level": "2", ...credentials() });
    expect(result.failures).toEqual([]);
    expect(result.verified).toBe(true);
    expect(result.report.slsaLevel.level).toBe(2);
    expect(result.summary).toContain(`Attestations of image \`${imageName}:${image.tag}`);
  });

  it("fails with the reasons for a key that signed none of them", async () => {
    const result = await verifyImage({ image: `${imageName}@${image.digest}`, "public-key": otherKeys.publicKeyPem, ...credentials() });
    expect(result.verified).toBe(false);
    expect(result.failures.join("\n")).toMatch(/signature/);
  });

  it("with none verifying, reports the attestation the trusted key signed and lists why each one failed", async () => {
    const twice = await makeOciLayout("github-two-attestations");
    await skopeoCopy(twice, registry, "acme/twice");
    const name = `${registry.host}/acme/twice`;
    const push = { "push-to-registry": "true", "subject-name": name, "subject-digest": twice.digest, ...credentials() };
    // Pushed first, so the registry lists it first: another team's key.
    const foreign = await attest({ ...push, "signing-key": otherKeys.privateKeyPem, "bundle-path": "foreign.sigstore.json" });
    const ours = await attest({ ...push, "bundle-path": "ours.sigstore.json" });

    // The release was built from a tag; the gate wants the main branch.
    const result = await verifyImage({ image: `${name}@${twice.digest}`, "source-branch": "main", ...credentials() });
    expect(result.verified).toBe(false);
    expect(result.report.signedBy).toEqual([ours.keyId]);
    expect(result.failures).toEqual([
      expect.stringMatching(new RegExp(`^attestation ${ours.pushed[0]!.attestation}: source branch: .*main`)),
      expect.stringMatching(new RegExp(`^attestation ${foreign.pushed[0]!.attestation}: signature: `)),
    ]);
    expect(result.summary).toContain(`| \`${ours.pushed[0]!.attestation}\` | source branch\\: `);
    expect(result.summary).toContain(`| \`${foreign.pushed[0]!.attestation}\` | signature\\: `);
  });

  it("fails for an image with no attestations", async () => {
    const bare = await makeOciLayout("github-no-attestations");
    await skopeoCopy(bare, registry, "acme/bare");
    const result = await verifyImage({ image: `${registry.host}/acme/bare@${bare.digest}`, ...credentials() });
    expect(result.verified).toBe(false);
    expect(result.failures).toEqual([`bundle: no readable attestations are stored for ${registry.host}/acme/bare@${bare.digest}`]);
  });

  it.each([
    ["both image and bundle-path", { "bundle-path": "image.sigstore.json" }],
    ["image with subject-path", { "subject-path": "provenant.pub" }],
  ])("refuses %s", async (_name, values: Record<string, string>) => {
    const error = await provenantFailure(verifyImage({ image: `${imageName}@${image.digest}`, ...values }));
    expect(error.code).toBe("USAGE");
  });
});
