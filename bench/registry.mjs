// `pnpm bench --only registry` (issue 14, section 4): one uncontended
// attestation push to a registry without the referrers API (Debian's
// docker-registry, distribution 2.8, on 127.0.0.1), against the same push with
// the previous fixed 500 ms settle window, measured alternately in the same run.

import { createHash, randomBytes } from "node:crypto";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const TARGET_SECONDS = 0.3;

export async function benchRegistry({ root, row, log, quick }) {
  const oci = await import(pathToFileURL(join(root, "packages", "oci", "dist", "index.js")).href);
  const testing = await import(pathToFileURL(join(root, "packages", "oci", "dist", "testing.js")).href);
  log("starting docker-registry on 127.0.0.1");
  const registry = await testing.startRegistry();
  try {
    const client = new oci.RegistryClient();
    const digest = (bytes) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
    const json = (value) => new TextEncoder().encode(JSON.stringify(value));

    /** A fresh one-layer image each time, so every push starts with no referrers tag. */
    async function image(n) {
      const repo = oci.parseImageReference(`${registry.host}/bench/push:${n}`);
      const config = json({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] }, config: {} });
      const layer = randomBytes(1024);
      await client.putBlob(repo, config);
      await client.putBlob(repo, layer);
      const manifest = json({
        schemaVersion: 2,
        mediaType: oci.MEDIA_TYPES.ociManifest,
        config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: digest(config), size: config.length },
        layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: digest(layer), size: layer.length }],
      });
      await client.putManifest(repo, String(n), manifest, oci.MEDIA_TYPES.ociManifest);
      return { repo, subject: { mediaType: oci.MEDIA_TYPES.ociManifest, digest: digest(manifest), size: manifest.length } };
    }

    const bundle = json({ mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json", bench: randomBytes(512).toString("hex") });
    let n = 0;
    async function timedPush(options) {
      const { repo, subject } = await image(n++);
      const started = process.hrtime.bigint();
      await oci.pushAttestation(client, repo, subject, bundle, { predicateType: "https://slsa.dev/provenance/v1", ...options });
      return Number(process.hrtime.bigint() - started) / 1e9;
    }

    const repeats = quick ? 3 : 7;
    const ours = [];
    const before = [];
    await timedPush({});
    for (let r = 0; r < repeats; r++) {
      ours.push(await timedPush({}));
      before.push(await timedPush({ settleMs: 500 }));
    }
    const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const [a, b] = [median(ours), median(before)];
    row(
      "push 1 attestation, no referrers API (loopback)",
      `${(a * 1000).toFixed(0)} ms`,
      `fixed 500 ms settle window ${(b * 1000).toFixed(0)} ms (median of ${repeats})`,
      b / a,
      `<= ${TARGET_SECONDS * 1000} ms`,
      a <= TARGET_SECONDS,
    );
  } finally {
    await registry.close();
  }
}
