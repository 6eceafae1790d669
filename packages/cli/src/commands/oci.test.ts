import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { gzipSync } from "node:zlib";
import { MEDIA_TYPES, parseImageReference, RegistryClient } from "@provenant/oci";
import { type LayoutImage, makeOciLayout, removeLayouts, skopeoCopy, skopeoInspectRaw, startRegistry, type TestRegistry } from "@provenant/oci/testing";
import { pack } from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, scratch } from "../test-support.js";
import { imageDigestSet } from "./oci.js";

let registry: TestRegistry;
let image: LayoutImage;
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  registry = await startRegistry();
  image = await makeOciLayout("cli");
  await skopeoCopy(image, registry, "acme/app");
  ({ dir, cleanup } = await scratch());
  const keys = await runCli(["keys", "generate", "--out", "signing"], { cwd: dir });
  expect(keys.code).toBe(0);
  expect((await runCli(["keys", "generate", "--out", "other"], { cwd: dir })).code).toBe(0);
});
afterAll(async () => {
  await registry?.close();
  await cleanup?.();
  removeLayouts();
});

const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, { cwd: dir, env });
const hex = () => image.digest.slice("sha256:".length);

/**
 * `docker save` from Docker 25 on: an OCI layout plus the legacy
 * manifest.json (moby image/tarexport). `legacy` leaves out the layout parts,
 * like older Docker and skopeo's docker-archive do.
 */
async function dockerArchive(layout: LayoutImage, file: string, legacy = false): Promise<void> {
  const archive = pack();
  const written = pipeline(archive, createWriteStream(file));
  const blobs = await readdir(join(layout.dir, "blobs", "sha256"));
  for (const blob of blobs) archive.entry({ name: `blobs/sha256/${blob}` }, await readFile(join(layout.dir, "blobs", "sha256", blob)));
  if (!legacy) {
    archive.entry({ name: "oci-layout" }, await readFile(join(layout.dir, "oci-layout")));
    const index = JSON.parse(await readFile(join(layout.dir, "index.json"), "utf8"));
    index.manifests[0].annotations["io.containerd.image.name"] = "registry.example/acme/saved:1.0";
    archive.entry({ name: "index.json" }, JSON.stringify(index));
  }
  archive.entry({ name: "manifest.json" }, JSON.stringify([{ Config: "blobs/sha256/x", RepoTags: ["acme/saved:1.0"], Layers: [] }]));
  archive.finalize();
  await written;
}

const sha256Of = (bytes: Uint8Array | string) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

/**
 * `docker save` from Docker 25+ with the classic (graph driver) image store, shaped after
 * the archives shown in moby/moby#47072 and #47210: a manifest made up at save time with
 * uncompressed layers (digest = diff_id), the config (the image id) carrying the platform,
 * and index.json with the same annotations the containerd store writes.
 */
async function classicStoreArchive(file: string): Promise<string> {
  const layerTar = pack();
  layerTar.entry({ name: "hello.txt" }, "hello from the classic store\n");
  layerTar.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of layerTar) chunks.push(chunk as Buffer);
  const layer = Buffer.concat(chunks);
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [sha256Of(layer)] }, config: {} }));
  const platform = { architecture: "amd64", os: "linux" };
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha256Of(config), size: config.length, platform },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: sha256Of(layer), size: layer.length }],
    }),
  );
  const index = {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [
      {
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        digest: sha256Of(manifest),
        size: manifest.length,
        annotations: { "io.containerd.image.name": "docker.io/acme/classic:1.0", "org.opencontainers.image.ref.name": "1.0" },
        platform,
      },
    ],
  };
  const archive = pack();
  const written = pipeline(archive, createWriteStream(file));
  for (const blob of [layer, config, manifest]) archive.entry({ name: `blobs/sha256/${sha256Of(blob).slice(7)}` }, blob);
  archive.entry({ name: "index.json" }, JSON.stringify(index));
  archive.entry({ name: "manifest.json" }, JSON.stringify([{ Config: `blobs/sha256/${sha256Of(config).slice(7)}`, RepoTags: ["acme/classic:1.0"], Layers: [`blobs/sha256/${sha256Of(layer).slice(7)}`] }]));
  archive.entry({ name: "oci-layout" }, JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  archive.finalize();
  await written;
  return sha256Of(manifest);
}

describe("image subjects", () => {
  it("names an oci:// image by registry/repository and its manifest digest", async () => {
    const result = await cli(["subjects", "--json", `oci://${registry.host}/acme/app:${image.tag}`]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([{ name: `${registry.host}/acme/app`, digest: { sha256: hex() } }]);
  });

  it("reads an OCI layout directory, by tag or whole", async () => {
    const tagged = await cli(["subjects", `oci-layout:${image.dir}:${image.tag}`]);
    expect(tagged.stdout).toBe(`sha256:${hex()}  ${image.dir}\n`);
    const missing = await cli(["subjects", `oci-layout:${image.dir}:nope`]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no image tagged nope; it holds 1\.0/);
  });

  it("reads a docker save archive's manifest digest, and refuses an archive without one", async () => {
    await dockerArchive(image, join(dir, "saved.tar"));
    const saved = await cli(["subjects", "--json", "docker-archive:saved.tar"]);
    expect(saved.code).toBe(0);
    // Compressed layers, as the containerd image store saves what it pulled or will push: no warning.
    expect(saved.stderr).toBe("");
    expect(JSON.parse(saved.stdout)).toEqual([{ name: "registry.example/acme/saved", digest: { sha256: hex() } }]);

    // docker save | gzip > saved.tar.gz
    await writeFile(join(dir, "saved.tar.gz"), gzipSync(await readFile(join(dir, "saved.tar"))));
    const gzipped = await cli(["subjects", "--json", "docker-archive:saved.tar.gz"]);
    expect(gzipped.code).toBe(0);
    expect(JSON.parse(gzipped.stdout)[0].digest).toEqual({ sha256: hex() });

    await writeFile(join(dir, "not.tar"), "this is not a tar archive, just text long enough to be read as a header ".repeat(10));
    const notTar = await cli(["subjects", "docker-archive:not.tar"]);
    expect(notTar.code).toBe(2);
    expect(notTar.stderr).toMatch(/docker-archive:not\.tar/);

    await dockerArchive(image, join(dir, "legacy.tar"), true);
    const legacy = await cli(["subjects", "docker-archive:legacy.tar"]);
    expect(legacy.code).toBe(2);
    expect(legacy.stderr).toMatch(/no index\.json, so it carries no manifest digest/);
  });

  it("warns that a classic image store archive's digest is one no registry will hold", async () => {
    const digest = await classicStoreArchive(join(dir, "classic.tar"));
    const result = await cli(["subjects", "--json", "docker-archive:classic.tar"]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([{ name: "docker.io/acme/classic", digest: { sha256: digest.slice(7) } }]);
    expect(result.stderr).toContain(`warning: docker-archive:classic.tar: ${digest} has uncompressed layers, the manifest docker save makes up with the classic image store`);
    expect(result.stderr).toMatch(/verify --image would never find an attestation for it/);
  });

  it("refuses a malformed image reference with exit 2", async () => {
    const result = await cli(["subjects", `oci://${registry.host}/Acme/App`]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/\[USAGE\].*lowercase/);
  });
});

describe("attest --push, attestations list, verify --image, push", () => {
  it("attests an image in the registry and verifies it from there", async () => {
    const reference = `oci://${registry.host}/acme/app:${image.tag}`;
    const attested = await cli(["attest", reference, "--key", "signing.key", "--platform", "local", "--push", "--bundle", "image.sigstore.json"]);
    const attestedLine = /pushed attestation (sha256:[0-9a-f]{64}) beside (\S+) \(referrers-tag\)/.exec(attested.stderr);
    expect(attestedLine?.[2]).toBe(`${registry.host}/acme/app:1.0@${image.digest}`);
    expect(attested.code).toBe(0);

    const index = (await skopeoInspectRaw(registry, `acme/app:sha256-${hex()}`)) as { manifests: unknown[] };
    expect(index.manifests).toHaveLength(1);

    const listed = await cli(["attestations", "list", reference]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^sha256:[0-9a-f]{64} {2}referrers-tag {2}https:\/\/slsa\.dev\/provenance\/v1 {2}key [0-9a-f]{64} {2}\d{4}-/);
    const signer = /key ([0-9a-f]{64})/.exec(listed.stdout)![1];

    const verified = await cli(["verify", "--allow-any-source", "--image", reference, "--key", "signing.pub", "--build-type", "https://provenant.dev/buildtypes/local/v1"]);
    expect(verified.stdout).toMatch(/^VERIFIED$/m);
    // One summary line for the stored attestation, with its signer.
    expect(verified.stdout).toMatch(new RegExp(`^sha256:[0-9a-f]{64} referrers-tag key ${signer}: VERIFIED$`, "m"));
    expect(verified.code).toBe(0);

    // The same bundle pushed again: found by its digest, nothing pushed, still one referrer.
    const again = await cli(["push", "--bundle", "image.sigstore.json", reference]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^already stored: sha256:[0-9a-f]{64} beside .* nothing pushed$/m);
    expect(((await skopeoInspectRaw(registry, `acme/app:sha256-${hex()}`)) as { manifests: unknown[] }).manifests).toHaveLength(1);

    const wrongKey = await cli(["verify", "--allow-any-source", "--image", reference, "--key", "other.pub"]);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stdout).toMatch(/FAIL/);

    const wrongPolicy = await cli(["verify", "--allow-any-source", "--image", reference, "--key", "signing.pub", "--slsa-level", "2"]);
    expect(wrongPolicy.code).toBe(1);

    // A second bundle for the same image, pushed with `push`, joins the first in the tag index.
    // (Not the same bundle again: its manifest differs only by the created second, so whether
    // it would be a second entry depends on the clock.)
    expect((await cli(["attest", reference, "--key", "signing.key", "--platform", "local", "--bundle", "second.sigstore.json"])).code).toBe(0);
    const pushed = await cli(["push", "--bundle", "second.sigstore.json", reference, "--json"]);
    expect(pushed.code).toBe(0);
    const result = JSON.parse(pushed.stdout);
    expect(result).toEqual({ image: `${registry.host}/acme/app:1.0@${image.digest}`, attestation: expect.stringMatching(/^sha256:[0-9a-f]{64}$/), via: "referrers-tag" });
    expect(result.attestation).not.toBe(attestedLine![1]);
    const json = JSON.parse((await cli(["attestations", "list", "--json", reference])).stdout);
    expect(json.attestations.map((a: { manifestDigest: string }) => a.manifestDigest)).toEqual([attestedLine![1], result.attestation]);
    expect(json.attestations.map((a: { keyIds: string[] }) => a.keyIds)).toEqual([[signer], [signer]]);

    // Two stored now: a summary line each, the full report only for the one that verified unless --verbose.
    const two = await cli(["verify", "--allow-any-source", "--image", reference, "--key", "signing.pub"]);
    expect(two.stdout.match(/^sha256:[0-9a-f]{64} referrers-tag key [0-9a-f]{64}: VERIFIED$/gm)).toHaveLength(2);
    expect(two.stdout.match(/^attestation sha256:/gm)).toHaveLength(1);
    const verbose = await cli(["verify", "--allow-any-source", "--image", reference, "--key", "signing.pub", "--verbose"]);
    expect(verbose.stdout.match(/^attestation sha256:/gm)).toHaveLength(2);
    const both = (await skopeoInspectRaw(registry, `acme/app:sha256-${hex()}`)) as { manifests: { digest: string }[] };
    expect(both.manifests.map((m) => m.digest)).toEqual([attestedLine![1], result.attestation]);
  });

  it("does not list another image's attestations that a rewritten tag index names", async () => {
    const target = await makeOciLayout("cli-rewritten-target");
    const other = await makeOciLayout("cli-rewritten-other");
    await skopeoCopy(other, registry, "acme/rewritten");
    // Same repository as the other image, by digest: the tag would be shared.
    await skopeoCopy(target, registry, "acme/rewritten");
    const targetRef = `oci://${registry.host}/acme/rewritten@${target.digest}`;
    const otherRef = `oci://${registry.host}/acme/rewritten@${other.digest}`;
    expect((await cli(["attest", otherRef, "--key", "signing.key", "--platform", "local", "--push", "--bundle", "other-image.json"])).code).toBe(0);
    // Anyone who may push can make the target's tag index list the other image's attestation.
    const client = new RegistryClient();
    const repository = parseImageReference(`${registry.host}/acme/rewritten`);
    const otherIndex = await client.getManifest(repository, `sha256-${other.digest.slice(7)}`);
    await client.putManifest(repository, `sha256-${target.digest.slice(7)}`, otherIndex!.bytes, MEDIA_TYPES.ociIndex);
    const foreign = JSON.parse(new TextDecoder().decode(otherIndex!.bytes)).manifests[0].digest as string;

    const text = await cli(["attestations", "list", targetRef]);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe("");
    expect(text.stderr).toContain(`warning: not listing attestation ${foreign}: attestation manifest ${foreign} is about ${other.digest}, not ${target.digest}`);
    expect(text.stderr).toMatch(/^0 attestation\(s\)/m);
    const json = JSON.parse((await cli(["attestations", "list", "--json", targetRef])).stdout);
    expect(json.attestations).toEqual([]);
    expect(json.refused).toEqual([expect.objectContaining({ manifestDigest: foreign, problem: expect.stringMatching(/is about/) })]);
    // The other image still lists it.
    expect(JSON.parse((await cli(["attestations", "list", "--json", otherRef])).stdout).attestations).toHaveLength(1);
  });

  it("refuses to push a bundle that does not attest the image", async () => {
    const other = await makeOciLayout("cli-other");
    await skopeoCopy(other, registry, "acme/other");
    await cli(["attest", `oci://${registry.host}/acme/app:${image.tag}`, "--key", "signing.key", "--platform", "local", "--bundle", "app.json"]);
    const result = await cli(["push", "--bundle", "app.json", `oci://${registry.host}/acme/other:${other.tag}`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/\[SUBJECT_MISMATCH\].*does not attest this image/);
    const none = await cli(["verify", "--allow-any-source", "--image", `${registry.host}/acme/other:${other.tag}`, "--key", "signing.pub"]);
    expect(none.code).toBe(1);
    expect(none.stdout).toMatch(/no readable attestations/);
  });

  it("reports verify --image as JSON, and refuses --image mixed with a bundle", async () => {
    const reference = `oci://${registry.host}/acme/app:${image.tag}`;
    await cli(["attest", reference, "--key", "signing.key", "--platform", "local", "--push", "--bundle", "json.sigstore.json"]);
    const result = await cli(["verify", "--allow-any-source", "--image", reference, "--key", "signing.pub", "--json"]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ image: `${registry.host}/acme/app:${image.tag}@${image.digest}`, verified: true });
    // How it was stored, beside the report's own `source` (the provenance's repository).
    expect(report.attestations[0]).toMatchObject({ storedAs: "referrers-tag", verified: true });
    const mixed = await cli(["verify", "--allow-any-source", "--image", reference, "--bundle", "json.sigstore.json", "--key", "signing.pub"]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/--image verifies what the registry stores/);
  });

  it("refuses a local image where push, attestations list and verify --image need one in a registry", async () => {
    const local = [`oci-layout:${image.dir}:${image.tag}`, "docker-archive:saved.tar"];
    for (const argument of local) {
      const runs = {
        push: await cli(["push", "--bundle", "image.sigstore.json", argument]),
        "attestations list": await cli(["attestations", "list", argument]),
        "verify --image": await cli(["verify", "--allow-any-source", "--image", argument, "--key", "signing.pub"]),
      };
      for (const [command, result] of Object.entries(runs)) {
        expect(result.code).toBe(2);
        expect(result.stderr).toMatch(new RegExp(`\\[USAGE\\]: ${command} .*names a local image, not one in a registry; expected oci://`));
        // Not read as the Docker Hub image library/oci-layout or library/docker-archive.
        expect(result.stderr).not.toMatch(/docker\.io|registry-1/);
      }
    }
  });

  it("says --push needs an oci:// subject", async () => {
    const result = await cli(["attest", `oci-layout:${image.dir}`, "--key", "signing.key", "--platform", "local", "--push"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--push needs at least one oci:\/\//);
  });
});

describe("verify --image digests", () => {
  it("compares a sha256 or sha512 image digest under its own algorithm and refuses others with INVALID_DIGEST", () => {
    expect(imageDigestSet(`sha256:${"a".repeat(64)}`, "img")).toEqual({ sha256: "a".repeat(64) });
    expect(imageDigestSet(`sha512:${"b".repeat(128)}`, "img")).toEqual({ sha512: "b".repeat(128) });
    for (const digest of [`md5:${"c".repeat(32)}`, `sha256:${"d".repeat(63)}`, `sha512:${"e".repeat(64)}`]) {
      expect(() => imageDigestSet(digest, "registry.example/app")).toThrow(
        expect.objectContaining({ code: "INVALID_DIGEST", message: expect.stringMatching(/^registry\.example\/app: image digest .* is not sha256:<64 hex> or sha512:<128 hex>/) }),
      );
    }
  });
});

describe("--image-platform", () => {
  it("attests, lists and verifies one child of a multi-arch image", async () => {
    const multi = await makeOciLayout("cli-multi", { platforms: ["linux/amd64", "linux/arm64"] });
    await skopeoCopy(multi, registry, "acme/multi");
    const reference = `oci://${registry.host}/acme/multi:${multi.tag}`;
    const arm64 = multi.children!["linux/arm64"]!;
    const subjects = await cli(["subjects", "--json", "--image-platform", "linux/arm64", reference]);
    expect(JSON.parse(subjects.stdout)).toEqual([{ name: `${registry.host}/acme/multi`, digest: { sha256: arm64.slice(7) } }]);

    const attested = await cli(["attest", reference, "--image-platform", "linux/arm64", "--key", "signing.key", "--platform", "local", "--push", "--bundle", "arm64.json"]);
    expect(attested.code).toBe(0);
    expect(attested.stderr).toMatch(new RegExp(`beside ${registry.host}/acme/multi:1\\.0@${arm64} \\(referrers-tag\\)`));

    const child = JSON.parse((await cli(["attestations", "list", "--json", "--image-platform", "linux/arm64", reference])).stdout);
    expect(child.attestations).toHaveLength(1);
    // The index itself has no attestation: a deployment naming the index digest would not find one.
    const index = JSON.parse((await cli(["attestations", "list", "--json", reference])).stdout);
    expect(index.attestations).toEqual([]);

    expect((await cli(["verify", "--allow-any-source", "--image", reference, "--image-platform", "linux/arm64", "--key", "signing.pub"])).code).toBe(0);
    const wholeIndex = await cli(["verify", "--allow-any-source", "--image", reference, "--key", "signing.pub"]);
    expect(wholeIndex.code).toBe(1);
    expect(wholeIndex.stdout).toMatch(/no readable attestations/);

    const absent = await cli(["attestations", "list", "--image-platform", "linux/s390x", reference]);
    expect(absent.code).toBe(2);
    expect(absent.stderr).toMatch(/offers linux\/amd64, linux\/arm64/);
  });
});

describe("against a registry with htpasswd Basic auth", () => {
  let guarded: TestRegistry;
  let guardedImage: LayoutImage;
  beforeAll(async () => {
    guarded = await startRegistry({ basicAuth: true });
    guardedImage = await makeOciLayout("cli-basic");
    await skopeoCopy(guardedImage, guarded, "acme/private");
  });
  afterAll(async () => {
    await guarded?.close();
  });

  it("pushes, lists and verifies with PROVENANT_REGISTRY_USERNAME/PASSWORD, and says how to log in without them", async () => {
    const reference = `oci://${guarded.host}/acme/private:${guardedImage.tag}`;
    // HOME is the scratch directory, so no docker config.json on this machine can supply the credentials.
    const env = { HOME: dir, PROVENANT_REGISTRY_USERNAME: guarded.credentials!.username, PROVENANT_REGISTRY_PASSWORD: guarded.credentials!.password };
    const runs = [
      await cli(["attest", reference, "--key", "signing.key", "--platform", "local", "--push", "--bundle", "private.json"], env),
      await cli(["attestations", "list", "--json", reference], env),
      await cli(["verify", "--allow-any-source", "--image", reference, "--key", "signing.pub"], env),
    ];
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0]);
    expect(JSON.parse(runs[1]!.stdout).attestations).toHaveLength(1);
    expect(runs[2]!.stdout).toMatch(/^VERIFIED$/m);
    for (const r of runs) expect(`${r.stdout}${r.stderr}`).not.toContain(guarded.credentials!.password);
    const index = (await skopeoInspectRaw(guarded, `acme/private:sha256-${guardedImage.digest.slice(7)}`)) as { manifests: unknown[] };
    expect(index.manifests).toHaveLength(1);

    const anonymous = await cli(["attestations", "list", reference], { HOME: dir });
    expect(anonymous.code).toBe(2);
    expect(anonymous.stderr).toMatch(/\[IO_ERROR\].*requires authentication.*PROVENANT_REGISTRY_USERNAME and PROVENANT_REGISTRY_PASSWORD/);
    const wrong = await cli(["verify", "--allow-any-source", "--image", reference, "--key", "signing.pub"], { ...env, PROVENANT_REGISTRY_PASSWORD: "wrong" });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/HTTP 401.*check the registry credentials/);
  });
});
