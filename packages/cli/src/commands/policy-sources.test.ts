import { generateKeyPairSync } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type LayoutImage, makeOciLayout, removeLayouts, skopeoCopy, startRegistry, type TestRegistry } from "@provenant/oci/testing";
import { createApp, openSqliteStore, openVault, type RunningServer, serve } from "@provenant/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, scratch } from "../test-support.js";

// verify --policy with evidence from a real registry (Debian's docker-registry
// on 127.0.0.1) and from a real vault (the server library on 127.0.0.1).

const LOCAL_BUILD = "https://provenant.dev/buildtypes/local/v1";
let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await scratch());
  expect((await runCli(["keys", "generate", "--out", "signing"], { cwd: dir })).code).toBe(0);
  expect((await runCli(["keys", "generate", "--out", "other"], { cwd: dir })).code).toBe(0);
  await writeFile(join(dir, "app.tgz"), "the artifact");
});
afterAll(() => cleanup?.());

const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, { cwd: dir, env: { XDG_CACHE_HOME: join(dir, ".cache"), ...env } });

/** A policy file trusting signing.pub, with the given rule (JSON) and trust.log. */
async function writePolicy(name: string, rule: object, log?: object): Promise<void> {
  const policy = {
    apiVersion: "provenant.dev/v1",
    trust: { keys: [{ name: "release", file: "signing.pub" }], ...(log && { log }) },
    rules: [{ name: "release", ...rule }],
  };
  await writeFile(join(dir, name), JSON.stringify(policy, null, 2));
}

describe("verify --policy --image (the registry's stored attestations are the evidence)", () => {
  let registry: TestRegistry;
  let image: LayoutImage;
  beforeAll(async () => {
    registry = await startRegistry();
    image = await makeOciLayout("policy-image");
    await skopeoCopy(image, registry, "acme/app");
  });
  afterAll(async () => {
    await registry?.close();
    removeLayouts();
  });

  it("allows the image when an attestation pushed beside it satisfies the rule matched by image glob, and denies otherwise", async () => {
    const reference = `oci://${registry.host}/acme/app:${image.tag}`;
    const attested = await cli(["attest", reference, "--key", "signing.key", "--platform", "local", "--push", "--bundle", "image.sigstore.json"]);
    expect(attested.code).toBe(0);

    await writePolicy("image-policy.json", { match: { images: [`${registry.host}/acme/*`] }, provenance: { buildTypes: [LOCAL_BUILD] } });
    const allowed = await cli(["verify", "--policy", "image-policy.json", "--image", reference]);
    expect(allowed.stderr).toBe("");
    expect(allowed.stdout).toContain(`${registry.host}/acme/app:${image.tag}@${image.digest}`);
    expect(allowed.stdout).toMatch(/PASS {2}rule release: /);
    expect(allowed.stdout).toContain("ALLOWED");
    expect(allowed.code).toBe(0);

    const json = JSON.parse((await cli(["verify", "--policy", "image-policy.json", "--image", reference, "--json", "--vsa", "image.vsa.jsonl", "--vsa-key", "signing.key"])).stdout);
    expect(json.allowed).toBe(true);
    expect(json.artifacts[0].artifact.digest.sha256).toBe(image.digest.slice("sha256:".length));
    // The VSA names the image by its digest, for an admission gate to find.
    const vsa = JSON.parse(Buffer.from(JSON.parse(await readFile(join(dir, "image.vsa.jsonl"), "utf8")).dsseEnvelope.payload, "base64").toString());
    expect(vsa.subject[0]).toEqual({ name: `${registry.host}/acme/app:${image.tag}@${image.digest}`, digest: { sha256: image.digest.slice("sha256:".length) } });
    expect(vsa.predicate.verificationResult).toBe("PASSED");

    // L2 needs a hosted platform: the local build's attestation fails the rule with the level's reason.
    await writePolicy("image-l2.json", { match: { images: [`${registry.host}/acme/*`] }, provenance: { minimumLevel: 2 } });
    const denied = await cli(["verify", "--policy", "image-l2.json", "--image", reference]);
    expect(denied.code).toBe(1);
    expect(denied.stdout).toMatch(/FAIL {2}rule release: SLSA Build L1, policy requires L2/);
    expect(denied.stdout).toContain("DENIED");

    // A rule about another registry's images does not apply: nothing allows the image.
    await writePolicy("elsewhere.json", { match: { images: ["registry.example/prod/*"] }, provenance: { buildTypes: [LOCAL_BUILD] } });
    const elsewhere = await cli(["verify", "--policy", "elsewhere.json", "--image", reference]);
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stdout).toContain("no rule of the policy applies");
  });

  it("refuses --image with an ARTIFACT (the image is the artifact) and with --server", async () => {
    await writePolicy("p.json", { provenance: { buildTypes: [LOCAL_BUILD] } });
    const mixed = await cli(["verify", "app.tgz", "--policy", "p.json", "--image", `oci://${registry.host}/acme/app:${image.tag}`]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain("--image: the image is the artifact");
    const both = await cli(["verify", "--policy", "p.json", "--image", `oci://${registry.host}/acme/app:${image.tag}`, "--server", "http://127.0.0.1:9"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("give --image or --server, not both");
  });
});

describe("verify --policy --server (the vault's attestations are the evidence, their log proofs checked)", () => {
  let running: RunningServer;
  let closeVault: () => Promise<void>;
  let url: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    const store = await openSqliteStore({ path: join(dir, "vault.sqlite") });
    const vault = await openVault({ store, logKey: generateKeyPairSync("ed25519").privateKey, origin: "127.0.0.1/policy-test", clock: () => new Date(), batchWindowMs: 1 });
    running = await serve(createApp({ vault }), { host: "127.0.0.1", port: 0 });
    url = running.url;
    closeVault = () => vault.close();
    const admin = (await vault.authenticateToken((await vault.createToken({ project: "*", scope: "admin" }, "cli")).token))!;
    await vault.registerKey({ project: "acme/app", publicKeyPem: await readFile(join(dir, "signing.pub"), "utf8") }, admin);
    env = { PROVENANT_TOKEN: (await vault.createToken({ project: "acme/app", scope: "upload" }, "cli")).token };
    await writeFile(join(dir, "vault-log.pub"), vault.logPublicKeyPem());
    await writeFile(join(dir, "other-log.pub"), generateKeyPairSync("ed25519").publicKey.export({ type: "spki", format: "pem" }));
    const uploaded = await cli(["attest", "app.tgz", "--key", "signing.key", "--platform", "local", "--bundle", "app.sigstore.json", "--upload", url], env);
    expect(uploaded.code).toBe(0);
    // A bundle that never went to the vault, for the local-file case below.
    expect((await cli(["attest", "app.tgz", "--key", "signing.key", "--platform", "local", "--bundle", "unlogged.sigstore.json"])).code).toBe(0);
  });
  afterAll(async () => {
    await running?.close();
    await closeVault?.();
  });

  const rule = { provenance: { buildTypes: [LOCAL_BUILD] } };

  it("allows the artifact when the vault's attestation verifies against the policy's log key, and shows the log check", async () => {
    await writePolicy("vault-policy.json", rule, { key: "vault-log.pub" });
    const checked = await cli(["policy", "check", "vault-policy.json"]);
    expect(checked.stdout).toContain("vault log key vault-log.pub: inclusion proof required");
    const allowed = await cli(["verify", "app.tgz", "--policy", "vault-policy.json", "--server", url], env);
    expect(allowed.stderr).toBe("");
    expect(allowed.stdout).toMatch(/pass {2}transparencyLog +logged at index 0, checkpoint size 1/);
    expect(allowed.stdout).toContain("ALLOWED");
    expect(allowed.code).toBe(0);
  });

  it("denies when the policy names another log's key, saying the proof does not verify", async () => {
    await writePolicy("wrong-log.json", rule, { key: "other-log.pub" });
    const denied = await cli(["verify", "app.tgz", "--policy", "wrong-log.json", "--server", url], env);
    expect(denied.code).toBe(1);
    expect(denied.stdout).toContain("the log entry does not verify against the vault's log key (other-log.pub)");
    expect(denied.stdout).toContain("DENIED");
  });

  it("takes the log key from --log-key when the policy names none, and refuses --server with no log key at all", async () => {
    await writePolicy("no-log.json", rule);
    const flagged = await cli(["verify", "app.tgz", "--policy", "no-log.json", "--server", url, "--log-key", "vault-log.pub"], env);
    expect(flagged.stdout).toContain("ALLOWED");
    expect(flagged.code).toBe(0);
    const unpinned = await cli(["verify", "app.tgz", "--policy", "no-log.json", "--server", url], env);
    expect(unpinned.code).toBe(2);
    expect(unpinned.stderr).toContain("--server: the vault's attestations are checked against its log");
  });

  it("denies a bundle file without a log entry when the policy requires inclusion proofs, and accepts the vault's copy", async () => {
    await writePolicy("required.json", rule, { key: "vault-log.pub", requireInclusionProof: true });
    const unlogged = await cli(["verify", "app.tgz", "--policy", "required.json", "--bundle", "unlogged.sigstore.json"]);
    expect(unlogged.code).toBe(1);
    expect(unlogged.stdout).toContain("no transparency log entry; the policy requires an inclusion proof in the vault's log");
    const logged = await cli(["verify", "app.tgz", "--policy", "required.json", "--bundle", "app.sigstore.json"]);
    expect(logged.stdout).toContain("ALLOWED");
    expect(logged.code).toBe(0);
  });

  it("says when the vault holds nothing for the artifact, and denies it", async () => {
    await writeFile(join(dir, "never-uploaded.tgz"), "nobody attested this");
    await writePolicy("vault-policy.json", rule, { key: "vault-log.pub" });
    const result = await cli(["verify", "never-uploaded.tgz", "--policy", "vault-policy.json", "--server", url], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("no attestation found for never-uploaded.tgz");
    expect(result.stdout).toContain("DENIED");
  });
});
