import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isProvenantError, verify } from "@provenant/core";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { registryCredentials } from "./credentials/docker-config.js";
import { MEDIA_TYPES } from "./manifest/media-types.js";
import { parseImageReference } from "./reference/reference.js";
import { referrersTag } from "./referrers/fallback-tag.js";
import { listAttestations, pullAttestations } from "./referrers/pull.js";
import { pushAttestation } from "./referrers/push.js";
import { resolveImage } from "./referrers/resolve.js";
import { RegistryClient } from "./registry/client.js";
import { signedBundleFor, trustedKey } from "./test-support/bundle.js";
import { simulatedTime, virtualTiming } from "./test-support/virtual-time.js";
import { makeOciLayout, removeLayouts, skopeoCopy, skopeoInspectRaw, startRegistry, type TestRegistry } from "./test-support/registry.js";

const IN_TOTO_SLSA = "https://slsa.dev/provenance/v1";
// Settle windows on a virtual clock: no real waiting, no dependence on the machine's speed.
const fast = virtualTiming();
afterAll(removeLayouts);

describe("against distribution 2.8 (no referrers API), open", () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(async () => {
    await registry?.close();
  });

  it("resolves a tag copied in by skopeo to the image's manifest digest", async () => {
    const image = await makeOciLayout("resolve");
    await skopeoCopy(image, registry, "acme/app");
    const client = new RegistryClient();
    const resolved = await resolveImage(client, parseImageReference(`${registry.host}/acme/app:${image.tag}`));
    expect(resolved.descriptor).toEqual({ mediaType: MEDIA_TYPES.ociManifest, digest: image.digest, size: image.size });
  });

  it("keeps the index digest of a multi-arch image unless a platform is asked for", async () => {
    const image = await makeOciLayout("multiarch", { platforms: ["linux/amd64", "linux/arm64"] });
    await skopeoCopy(image, registry, "acme/multi");
    const client = new RegistryClient();
    const reference = parseImageReference(`${registry.host}/acme/multi:${image.tag}`);
    expect((await resolveImage(client, reference)).descriptor.digest).toBe(image.digest);
    expect((await resolveImage(client, reference, { platform: "linux/arm64" })).descriptor.digest).toBe(image.children!["linux/arm64"]);
    await expect(resolveImage(client, reference, { platform: "windows/amd64" })).rejects.toThrow(/offers linux\/amd64, linux\/arm64/);
  });

  it("pushes a bundle as a referrer that skopeo sees, and pulls it back verified", async () => {
    const image = await makeOciLayout("push");
    await skopeoCopy(image, registry, "acme/push");
    const client = new RegistryClient();
    const { reference, descriptor } = await resolveImage(client, parseImageReference(`${registry.host}/acme/push:${image.tag}`));
    const bundle = await signedBundleFor(`${registry.host}/acme/push`, descriptor.digest);

    const pushed = await pushAttestation(client, reference, descriptor, bundle, { predicateType: IN_TOTO_SLSA, ...fast });
    expect(pushed.via).toBe("referrers-tag");

    const index = (await skopeoInspectRaw(registry, `acme/push:${referrersTag(image.digest)}`)) as {
      mediaType: string;
      manifests: { digest: string; artifactType: string; annotations: Record<string, string> }[];
    };
    expect(index.mediaType).toBe(MEDIA_TYPES.ociIndex);
    expect(index.manifests).toHaveLength(1);
    expect(index.manifests[0]).toMatchObject({
      digest: pushed.digest,
      artifactType: MEDIA_TYPES.sigstoreBundle,
      annotations: { "dev.sigstore.bundle.content": "dsse-envelope", "dev.sigstore.bundle.predicateType": IN_TOTO_SLSA },
    });
    const manifest = (await skopeoInspectRaw(registry, `acme/push@${pushed.digest}`)) as Record<string, unknown>;
    expect(manifest).toMatchObject({
      artifactType: MEDIA_TYPES.sigstoreBundle,
      config: { mediaType: MEDIA_TYPES.empty, size: 2 },
      layers: [{ mediaType: MEDIA_TYPES.sigstoreBundle, size: bundle.length }],
      subject: { digest: image.digest, mediaType: MEDIA_TYPES.ociManifest, size: image.size },
    });

    const pulled = await pullAttestations(client, reference, descriptor.digest);
    expect(pulled).toHaveLength(1);
    expect(pulled[0]).toMatchObject({ source: "referrers-tag", manifestDigest: pushed.digest, predicateType: IN_TOTO_SLSA });
    const report = verify(pulled[0]!.document, { trustedKeys: [trustedKey], artifactDigests: [{ sha256: image.digest.slice(7) }] });
    expect(report.verified).toBe(true);
  });

  it("pushes the same bundle twice as one referrer, and a different bundle as a second", async () => {
    const image = await makeOciLayout("idempotent");
    await skopeoCopy(image, registry, "acme/idempotent");
    const client = new RegistryClient();
    const { reference, descriptor } = await resolveImage(client, parseImageReference(`${registry.host}/acme/idempotent:${image.tag}`));
    const bundle = await signedBundleFor(`${registry.host}/acme/idempotent`, descriptor.digest, "once");
    // A minute apart: the manifests would differ by their created annotation.
    const first = await pushAttestation(client, reference, descriptor, bundle, { predicateType: IN_TOTO_SLSA, ...fast, now: () => new Date("2026-01-01T00:00:00Z") });
    const again = await pushAttestation(client, reference, descriptor, bundle, { predicateType: IN_TOTO_SLSA, ...fast, now: () => new Date("2026-01-01T00:01:00Z") });
    expect(first.alreadyStored).toBeUndefined();
    expect(again).toEqual({ digest: first.digest, via: "referrers-tag", alreadyStored: true });
    const other = await signedBundleFor(`${registry.host}/acme/idempotent`, descriptor.digest, "other");
    const second = await pushAttestation(client, reference, descriptor, other, { predicateType: IN_TOTO_SLSA, ...fast });
    expect(second.digest).not.toBe(first.digest);
    const index = (await skopeoInspectRaw(registry, `acme/idempotent:${referrersTag(image.digest)}`)) as { manifests: { digest: string }[] };
    expect(index.manifests.map((m) => m.digest)).toEqual([first.digest, second.digest]);
  });

  it("loses neither of several attestations pushed concurrently for one image", async () => {
    const image = await makeOciLayout("concurrent");
    await skopeoCopy(image, registry, "acme/concurrent");
    const { reference, descriptor } = await resolveImage(new RegistryClient(), parseImageReference(`${registry.host}/acme/concurrent:${image.tag}`));
    const bundles = await Promise.all(
      ["first", "second", "third", "fourth"].map((note) => signedBundleFor(`${registry.host}/acme/concurrent`, descriptor.digest, note)),
    );
    // Separate clients, as separate CI jobs would be. Distribution 2.8 ignores If-Match, so
    // what keeps all four is the settle windows; on simulated time the writers interleave
    // the same way however busy the machine is.
    const time = simulatedTime();
    const pushed = await Promise.all(
      bundles.map((bundle) =>
        pushAttestation(new RegistryClient({ fetch: time.fetch }), reference, descriptor, bundle, { predicateType: IN_TOTO_SLSA, ...time }),
      ),
    );
    const listed = await listAttestations(new RegistryClient(), reference, descriptor.digest);
    expect(listed.map((a) => a.manifestDigest).sort()).toEqual(pushed.map((p) => p.digest).sort());
    const index = (await skopeoInspectRaw(registry, `acme/concurrent:${referrersTag(image.digest)}`)) as { manifests: unknown[] };
    expect(index.manifests).toHaveLength(4);
  });

  it("reads cosign's legacy sha256-<hex>.att attachment", async () => {
    const image = await makeOciLayout("cosign");
    await skopeoCopy(image, registry, "acme/cosign");
    const client = new RegistryClient();
    const { reference, descriptor } = await resolveImage(client, parseImageReference(`${registry.host}/acme/cosign:${image.tag}`));
    // cosign stores the bare DSSE envelope as a layer of type application/vnd.dsse.envelope.v1+json
    // with a "predicateType" annotation (sigstore/cosign pkg/oci/static, pkg/types).
    const bundle = JSON.parse(new TextDecoder().decode(await signedBundleFor(`${registry.host}/acme/cosign`, descriptor.digest)));
    const envelope = new TextEncoder().encode(JSON.stringify(bundle.dsseEnvelope));
    const layerDigest = await client.putBlob(reference, envelope);
    const config = new TextEncoder().encode(JSON.stringify({ architecture: "", os: "", rootfs: { type: "layers", diff_ids: [] }, config: {} }));
    const configDigest = await client.putBlob(reference, config);
    const manifest = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: configDigest, size: config.length },
      layers: [{ mediaType: MEDIA_TYPES.dsseEnvelope, digest: layerDigest, size: envelope.length, annotations: { predicateType: IN_TOTO_SLSA } }],
    };
    await client.putManifest(reference, `${image.digest.replace(":", "-")}.att`, new TextEncoder().encode(JSON.stringify(manifest)), MEDIA_TYPES.ociManifest);

    const pulled = await pullAttestations(client, reference, descriptor.digest);
    expect(pulled).toHaveLength(1);
    expect(pulled[0]).toMatchObject({ source: "cosign-att", layerDigest, predicateType: IN_TOTO_SLSA });
    expect(verify(pulled[0]!.document, { trustedKeys: [trustedKey], artifactDigests: [{ sha256: image.digest.slice(7) }] }).verified).toBe(true);
  });

  it("says an image that is not there is not there", async () => {
    await expect(resolveImage(new RegistryClient(), parseImageReference(`${registry.host}/acme/none:1.0`))).rejects.toSatisfy(
      (error) => isProvenantError(error, "NO_SUBJECTS_MATCHED") && /not found/.test((error as Error).message),
    );
  });
});

describe("against distribution 2.8 with htpasswd Basic auth", () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startRegistry({ basicAuth: true });
  });
  afterAll(async () => {
    await registry?.close();
  });

  it("refuses without credentials, naming how to give them", async () => {
    const client = new RegistryClient();
    await expect(client.getManifest(parseImageReference(`${registry.host}/acme/app`), "1.0")).rejects.toSatisfy(
      (error) => isProvenantError(error, "IO_ERROR") && /PROVENANT_REGISTRY_USERNAME/.test((error as Error).message),
    );
  });

  it("refuses wrong credentials with the registry's answer", async () => {
    const client = new RegistryClient({ credentials: async () => ({ username: "ci-bot", password: "wrong" }) });
    await expect(client.getManifest(parseImageReference(`${registry.host}/acme/app`), "1.0")).rejects.toThrow(/HTTP 401.*credentials/);
  });

  it("pushes and pulls with credentials from the environment variables", async () => {
    const image = await makeOciLayout("basic-env");
    await skopeoCopy(image, registry, "acme/app");
    const env = { PROVENANT_REGISTRY_USERNAME: registry.credentials!.username, PROVENANT_REGISTRY_PASSWORD: registry.credentials!.password };
    const client = new RegistryClient({ credentials: registryCredentials({ env, homeDir: "/nonexistent" }) });
    const { reference, descriptor } = await resolveImage(client, parseImageReference(`${registry.host}/acme/app:${image.tag}`));
    const bundle = await signedBundleFor(`${registry.host}/acme/app`, descriptor.digest);
    const pushed = await pushAttestation(client, reference, descriptor, bundle, { predicateType: IN_TOTO_SLSA, ...fast });
    const index = (await skopeoInspectRaw(registry, `acme/app:${referrersTag(image.digest)}`)) as { manifests: { digest: string }[] };
    expect(index.manifests.map((m) => m.digest)).toEqual([pushed.digest]);
    const pulled = await pullAttestations(client, reference, descriptor.digest);
    expect(Buffer.from(JSON.stringify(pulled[0]!.document))).toEqual(Buffer.from(bundle));
  });

  it("reads credentials from a docker config.json (auths, base64 user:password)", async () => {
    const image = await makeOciLayout("basic-config");
    await skopeoCopy(image, registry, "acme/config");
    const dockerConfig = await mkdtemp(join(tmpdir(), "provenant-docker-config-"));
    onTestFinished(() => rm(dockerConfig, { recursive: true, force: true }));
    const auth = Buffer.from(`${registry.credentials!.username}:${registry.credentials!.password}`).toString("base64");
    await writeFile(join(dockerConfig, "config.json"), JSON.stringify({ auths: { [`http://${registry.host}`]: { auth } } }));
    const client = new RegistryClient({ credentials: registryCredentials({ env: { DOCKER_CONFIG: dockerConfig } }) });
    const resolved = await resolveImage(client, parseImageReference(`${registry.host}/acme/config:${image.tag}`));
    expect(resolved.descriptor.digest).toBe(image.digest);
  });
});

describe("against distribution 2.8 with token (Bearer) auth", () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startRegistry({ tokenAuth: true });
  });
  afterAll(async () => {
    await registry?.close();
  });

  it("gets tokens for pull and for push, then pushes and pulls", async () => {
    const image = await makeOciLayout("token");
    await skopeoCopy(image, registry, "acme/app");
    registry.tokenRequests!.length = 0;
    const client = new RegistryClient({ credentials: async () => registry.credentials });
    const { reference, descriptor } = await resolveImage(client, parseImageReference(`${registry.host}/acme/app:${image.tag}`));
    const bundle = await signedBundleFor(`${registry.host}/acme/app`, descriptor.digest);
    await pushAttestation(client, reference, descriptor, bundle, { predicateType: IN_TOTO_SLSA, ...fast });
    const pulled = await pullAttestations(client, reference, descriptor.digest);
    expect(verify(pulled[0]!.document, { trustedKeys: [trustedKey], artifactDigests: [{ sha256: image.digest.slice(7) }] }).verified).toBe(true);
    // One token per scope, reused across requests.
    expect(registry.tokenRequests!.map((q) => `${q.get("service")} ${q.get("scope")}`)).toEqual([
      "provenant-test-registry repository:acme/app:pull",
      "provenant-test-registry repository:acme/app:pull,push",
    ]);
  });

  it("trades a docker config identitytoken for access tokens with the OAuth2 refresh-token POST, then pushes and pulls", async () => {
    const image = await makeOciLayout("token-identity");
    await skopeoCopy(image, registry, "acme/acr");
    const dockerConfig = await mkdtemp(join(tmpdir(), "provenant-docker-config-"));
    onTestFinished(() => rm(dockerConfig, { recursive: true, force: true }));
    // What `az acr login` writes: a placeholder user, an empty password, and the refresh token.
    const auth = Buffer.from("00000000-0000-0000-0000-000000000000:").toString("base64");
    await writeFile(join(dockerConfig, "config.json"), JSON.stringify({ auths: { [registry.host]: { auth, identitytoken: registry.identityToken } } }));
    registry.tokenRequests!.length = 0;
    const client = new RegistryClient({ credentials: registryCredentials({ env: { DOCKER_CONFIG: dockerConfig } }) });
    const { reference, descriptor } = await resolveImage(client, parseImageReference(`${registry.host}/acme/acr:${image.tag}`));
    const bundle = await signedBundleFor(`${registry.host}/acme/acr`, descriptor.digest);
    const pushed = await pushAttestation(client, reference, descriptor, bundle, { predicateType: IN_TOTO_SLSA, ...fast });
    expect((await listAttestations(client, reference, descriptor.digest)).map((a) => a.manifestDigest)).toEqual([pushed.digest]);
    expect(registry.tokenRequests!.map((form) => [form.get("grant_type"), form.get("refresh_token"), form.get("service"), form.get("scope")])).toEqual([
      ["refresh_token", registry.identityToken, "provenant-test-registry", "repository:acme/acr:pull"],
      ["refresh_token", registry.identityToken, "provenant-test-registry", "repository:acme/acr:pull,push"],
    ]);
  });

  it("reports the token service's refusal of wrong credentials", async () => {
    const client = new RegistryClient({ credentials: async () => ({ username: "ci-bot", password: "wrong" }) });
    await expect(client.getManifest(parseImageReference(`${registry.host}/acme/app`), "1.0")).rejects.toThrow(/token from http:\/\/127\.0\.0\.1:\d+: the registry answered HTTP 401/);
  });
});
