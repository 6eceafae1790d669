import { createServer, type IncomingHttpHeaders, request as httpRequest } from "node:http";
import { verify } from "@provenant/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MEDIA_TYPES } from "../manifest/media-types.js";
import { parseImageReference } from "../reference/reference.js";
import { RegistryClient } from "../registry/client.js";
import { signedBundleFor, trustedKey } from "../test-support/bundle.js";
import { virtualTiming } from "../test-support/virtual-time.js";
import { makeOciLayout, removeLayouts, skopeoCopy, skopeoInspectRaw, startRegistry, type TestRegistry } from "../test-support/registry.js";
import { cosignAttestationTag, referrersTag } from "./fallback-tag.js";
import { listAttestations, pullAttestations } from "./pull.js";
import { MIN_SETTLE_MS, pushAttestation } from "./push.js";
import { resolveImage } from "./resolve.js";

const IN_TOTO_SLSA = "https://slsa.dev/provenance/v1";
// Settle windows on a virtual clock: the logic is tested, not the machine's speed.
const timing = virtualTiming();
const fast = { settleMs: 50, ...timing };

interface ConditionalPut {
  ifMatch?: string;
  ifNoneMatch?: string;
  /** The tag's ETag in the registry when the condition was checked; undefined when the tag did not exist. */
  current?: string;
  status: number;
}

interface Forwarded {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * Distribution 2.8 ignores If-Match and If-None-Match, so the 412 path can
 * only be reached with something that enforces them. This proxy sits in
 * front of the real registry and, with `beforeCheck`, enforces both on manifest PUTs (RFC 9110
 * §13.1.1 and §13.1.2, against the ETag distribution itself sends, the quoted
 * manifest digest); `beforeCheck` lets the test be the concurrent writer that
 * lands between a client's read and its write. Everything else is passed
 * through untouched, Host header included, so the registry's Location
 * headers name the proxy.
 */
async function startProxy(
  registry: TestRegistry,
  hooks: {
    /** Runs before the condition of the n-th conditional PUT is checked; without it, conditions are passed through (and ignored, as distribution does). */
    beforeCheck?: (put: number) => Promise<void>;
    /** Runs once the registry has answered a request, before the answer goes back to the client. */
    afterForward?: (method: string, path: string) => Promise<void>;
  },
) {
  const [registryHost, registryPort] = registry.host.split(":") as [string, string];
  const forward = (method: string, path: string, headers: IncomingHttpHeaders, body?: Buffer) =>
    new Promise<Forwarded>((resolve, reject) => {
      const outgoing = httpRequest({ host: registryHost, port: Number(registryPort), method, path, headers }, (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on("data", (chunk) => chunks.push(chunk));
        incoming.on("end", () => resolve({ status: incoming.statusCode!, headers: incoming.headers, body: Buffer.concat(chunks) }));
      });
      outgoing.on("error", reject);
      outgoing.end(body);
    });
  const puts: ConditionalPut[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", async () => {
      const body = Buffer.concat(chunks);
      const ifMatch = req.headers["if-match"];
      const ifNoneMatch = req.headers["if-none-match"];
      if (hooks.beforeCheck && req.method === "PUT" && /\/manifests\//.test(req.url!) && (ifMatch || ifNoneMatch)) {
        // Only writes to the tag index are counted and raced; a push's probe of
        // its own manifest by digest is just held to the condition.
        const onTag = /\/manifests\/sha256-/.test(req.url!);
        if (onTag) await hooks.beforeCheck(puts.length);
        const head = await forward("HEAD", req.url!, { host: req.headers.host, accept: `${MEDIA_TYPES.ociIndex}, ${MEDIA_TYPES.ociManifest}` });
        const current = head.status === 200 ? String(head.headers.etag) : undefined;
        const failed = (ifNoneMatch === "*" && current !== undefined) || (ifMatch !== undefined && ifMatch !== current);
        const status = failed ? 412 : (await forwardAndReply()).status;
        if (onTag) puts.push({ ...(ifMatch && { ifMatch }), ...(ifNoneMatch && { ifNoneMatch }), ...(current && { current }), status });
        if (failed) res.writeHead(412).end();
        return;
      }
      await forwardAndReply();

      async function forwardAndReply(): Promise<Forwarded> {
        const answer = await forward(req.method!, req.url!, req.headers, body);
        await hooks.afterForward?.(req.method!, req.url!);
        res.writeHead(answer.status, answer.headers).end(answer.body);
        return answer;
      }
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return { host: `127.0.0.1:${(server.address() as { port: number }).port}`, puts, close: () => server.close() };
}

describe("the sha256-<hex> referrers tag on distribution 2.8", () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(async () => {
    await registry?.close();
    removeLayouts();
  });

  async function imageIn(repository: string, seed: string) {
    const image = await makeOciLayout(seed);
    await skopeoCopy(image, registry, repository);
    const resolved = await resolveImage(new RegistryClient(), parseImageReference(`${registry.host}/${repository}:${image.tag}`));
    return { image, ...resolved };
  }

  it("writes it with If-None-Match, then If-Match, and re-reads and re-merges after each 412", async () => {
    const { image, reference, descriptor } = await imageIn("acme/conditional", "conditional");
    // Two other writers land between this client's read and its write: before its
    // first conditional PUT (the tag is new) and before its second (the tag moved on).
    const others: string[] = [];
    const proxy = await startProxy(registry, {
      beforeCheck: async (put) => {
        if (put > 1) return;
        const bundle = await signedBundleFor(`${registry.host}/acme/conditional`, descriptor.digest, `other ${put}`);
        others.push((await pushAttestation(new RegistryClient(), reference, descriptor, bundle, { predicateType: IN_TOTO_SLSA, ...fast })).digest);
      },
    });
    try {
      const viaProxy = parseImageReference(`${proxy.host}/acme/conditional@${descriptor.digest}`);
      const bundle = await signedBundleFor(`${proxy.host}/acme/conditional`, descriptor.digest, "mine");
      const mine = await pushAttestation(new RegistryClient(), viaProxy, descriptor, bundle, { predicateType: IN_TOTO_SLSA, ...fast });
      expect(mine.via).toBe("referrers-tag");

      expect(proxy.puts).toHaveLength(3);
      const [created, stale, fresh] = proxy.puts as [ConditionalPut, ConditionalPut, ConditionalPut];
      expect(created).toEqual({ ifNoneMatch: "*", current: expect.stringMatching(/^"sha256:[0-9a-f]{64}"$/), status: 412 });
      // After the 412 it read the tag again and sent that version's ETag; a second writer moved it on meanwhile.
      expect(stale).toEqual({ ifMatch: created.current, current: expect.any(String), status: 412 });
      expect(stale.current).not.toBe(created.current);
      expect(fresh).toEqual({ ifMatch: stale.current, current: stale.current, status: 201 });

      const index = (await skopeoInspectRaw(registry, `acme/conditional:${referrersTag(image.digest)}`)) as { manifests: { digest: string }[] };
      expect(index.manifests.map((m) => m.digest).sort()).toEqual([...others, mine.digest].sort());
    } finally {
      proxy.close();
    }
  });

  it("notices a stale write that lands after its first read-back, and merges again", async () => {
    const { image, reference, descriptor } = await imageIn("acme/late", "late");
    const client = new RegistryClient();
    const earlier = await signedBundleFor(`${registry.host}/acme/late`, descriptor.digest, "earlier");
    const first = await pushAttestation(client, reference, descriptor, earlier, { predicateType: IN_TOTO_SLSA, ...fast });
    // What a slow concurrent writer read before this push wrote: the index without it.
    const stale = (await client.getManifest(reference, referrersTag(descriptor.digest)))!.bytes;
    const tagPath = `/v2/acme/late/manifests/${referrersTag(descriptor.digest)}`;
    let tagWrites = 0;
    let lateWrites = 0;
    const proxy = await startProxy(registry, {
      afterForward: async (method, path) => {
        if (path !== tagPath) return;
        if (method === "PUT") tagWrites++;
        // The first read-back after this push's write has been answered with the index
        // listing it; only then does the slow writer's PUT land.
        else if (method === "GET" && tagWrites === 1 && lateWrites === 0) {
          lateWrites++;
          await client.putManifest(reference, referrersTag(descriptor.digest), stale, MEDIA_TYPES.ociIndex);
        }
      },
    });
    try {
      const bundle = await signedBundleFor(`${proxy.host}/acme/late`, descriptor.digest, "mine");
      const mine = await pushAttestation(new RegistryClient(), parseImageReference(`${proxy.host}/acme/late@${descriptor.digest}`), descriptor, bundle, {
        predicateType: IN_TOTO_SLSA,
        ...fast,
      });
      expect(lateWrites).toBe(1);
      expect(tagWrites).toBe(2);
      const index = (await skopeoInspectRaw(registry, `acme/late:${referrersTag(image.digest)}`)) as { manifests: { digest: string }[] };
      expect(index.manifests.map((m) => m.digest)).toEqual([first.digest, mine.digest]);
    } finally {
      proxy.close();
    }
  });

  it("reads again instead of writing from a read that took over settleMs/2, so a push that finished meanwhile survives", async () => {
    const { image, reference, descriptor } = await imageIn("acme/slow-read", "slow-read");
    const tagPath = `/v2/acme/slow-read/manifests/${referrersTag(descriptor.digest)}`;
    let other: string | undefined;
    const putBodies: string[][] = [];
    const proxy = await startProxy(registry, {
      afterForward: async (method, path) => {
        if (path !== tagPath || method !== "GET" || other !== undefined) return;
        // The registry has answered this client's first read (no tag yet), but the answer is
        // held back while a whole other push, read-backs included, runs to completion.
        const bundle = await signedBundleFor(`${registry.host}/acme/slow-read`, descriptor.digest, "other");
        other = (await pushAttestation(new RegistryClient(), reference, descriptor, bundle, { predicateType: IN_TOTO_SLSA, ...fast })).digest;
      },
    });
    const viaProxy = parseImageReference(`${proxy.host}/acme/slow-read@${descriptor.digest}`);
    const recording = new RegistryClient({
      fetch: async (input, init) => {
        if (init?.method === "PUT" && String(input).endsWith(tagPath) && init.body) {
          const body = JSON.parse(new TextDecoder().decode(init.body as Uint8Array)) as { manifests: { digest: string }[] };
          putBodies.push(body.manifests.map((m) => m.digest));
        }
        return fetch(input, init);
      },
    });
    try {
      const bundle = await signedBundleFor(`${proxy.host}/acme/slow-read`, descriptor.digest, "mine");
      const mine = await pushAttestation(recording, viaProxy, descriptor, bundle, { predicateType: IN_TOTO_SLSA, ...fast });
      // Its only write was made from the second read, which already listed the other push.
      expect(putBodies).toEqual([[other, mine.digest]]);
      const index = (await skopeoInspectRaw(registry, `acme/slow-read:${referrersTag(image.digest)}`)) as { manifests: { digest: string }[] };
      expect(index.manifests.map((m) => m.digest)).toEqual([other, mine.digest]);
    } finally {
      proxy.close();
    }
  });

  it("refuses a listed referrer whose own subject is another image", async () => {
    const target = await imageIn("acme/subject", "subject-target");
    const other = await imageIn("acme/subject", "subject-other");
    const client = new RegistryClient();
    const bundle = await signedBundleFor(`${registry.host}/acme/subject`, other.descriptor.digest);
    const foreign = await pushAttestation(client, other.reference, other.descriptor, bundle, { predicateType: IN_TOTO_SLSA, ...fast });
    // Anyone who may push can rewrite the target's tag index to list it.
    const otherIndex = await client.getManifest(other.reference, referrersTag(other.descriptor.digest));
    await client.putManifest(target.reference, referrersTag(target.descriptor.digest), otherIndex!.bytes, MEDIA_TYPES.ociIndex);

    const problem = `attestation manifest ${foreign.digest} is about ${other.descriptor.digest}, not ${target.descriptor.digest}`;
    // Listing checks it too, so `attestations list` does not show another image's attestations as this one's.
    expect(await listAttestations(client, target.reference, target.descriptor.digest)).toEqual([
      expect.objectContaining({ source: "referrers-tag", manifestDigest: foreign.digest, problem }),
    ]);
    const pulled = await pullAttestations(client, target.reference, target.descriptor.digest);
    expect(pulled).toHaveLength(1);
    expect(pulled[0]!.document).toBeUndefined();
    expect(pulled[0]).toMatchObject({ manifestDigest: foreign.digest, problem });
  });

  it("reports a bogus cosign .att tag as a problem, and still lists and pulls the others", async () => {
    const { reference, descriptor } = await imageIn("acme/bogus-att", "bogus-att");
    const client = new RegistryClient();
    const bundle = await signedBundleFor(`${registry.host}/acme/bogus-att`, descriptor.digest, "good");
    const good = await pushAttestation(client, reference, descriptor, bundle, { predicateType: IN_TOTO_SLSA, ...fast });
    // Anyone who may push can put something under cosign's tag: here an index, not a manifest.
    const index = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [] }));
    await client.putManifest(reference, cosignAttestationTag(descriptor.digest), index, MEDIA_TYPES.ociIndex);

    const listed = await listAttestations(client, reference, descriptor.digest);
    expect(listed).toEqual([
      expect.objectContaining({ source: "referrers-tag", manifestDigest: good.digest }),
      expect.objectContaining({ source: "cosign-att", problem: expect.stringContaining("cosign attestation manifest") }),
    ]);
    expect(listed[0]!.problem).toBeUndefined();
    const pulled = await pullAttestations(client, reference, descriptor.digest);
    expect(pulled.find((p) => p.manifestDigest === good.digest)?.document).toBeDefined();
  });

  it("reports one unreadable attestation as a problem while the others still verify", async () => {
    const { image, reference, descriptor } = await imageIn("acme/problem", "problem");
    const client = new RegistryClient();
    const good = [];
    for (const note of ["first", "second"]) {
      const bundle = await signedBundleFor(`${registry.host}/acme/problem`, descriptor.digest, note);
      good.push((await pushAttestation(client, reference, descriptor, bundle, { predicateType: IN_TOTO_SLSA, ...fast })).digest);
    }
    const broken = await pushAttestation(client, reference, descriptor, new TextEncoder().encode("{ truncated bundle"), { predicateType: IN_TOTO_SLSA, ...fast });

    const pulled = await pullAttestations(client, reference, descriptor.digest);
    expect(pulled.map((p) => p.manifestDigest).sort()).toEqual([...good, broken.digest].sort());
    const problem = pulled.find((p) => p.manifestDigest === broken.digest)!;
    expect(problem.document).toBeUndefined();
    expect(problem.problem).toMatch(/^bundle sha256:[0-9a-f]{64} is not valid JSON/);
    const verified = pulled
      .filter((p) => p.problem === undefined)
      .map((p) => verify(p.document, { trustedKeys: [trustedKey], artifactDigests: [{ sha256: image.digest.slice(7) }] }).verified);
    expect(verified).toEqual([true, true]);
  });
});

describe("how long a fallback-tag push waits", () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(async () => {
    await registry?.close();
    removeLayouts();
  });

  async function imageIn(host: string, repository: string, seed: string) {
    const image = await makeOciLayout(seed);
    await skopeoCopy(image, registry, repository);
    return resolveImage(new RegistryClient(), parseImageReference(`${host}/${repository}:${image.tag}`));
  }

  it("on a registry that ignores If-Match: one write, then two read-backs after the shortest adaptive window", async () => {
    const { reference, descriptor } = await imageIn(registry.host, "acme/window", "window");
    // Zero jitter, and every request answered in no virtual time: the window is its floor.
    const clock = virtualTiming(() => 0);
    const bundle = await signedBundleFor(`${registry.host}/acme/window`, descriptor.digest, "window");
    const pushed = await pushAttestation(new RegistryClient(), reference, descriptor, bundle, { predicateType: IN_TOTO_SLSA, ...clock });
    expect(pushed).toMatchObject({ via: "referrers-tag", guard: "settle" });
    expect(clock.slept).toEqual([MIN_SETTLE_MS, MIN_SETTLE_MS]);
  });

  it("widens the window to four round trips when the registry answers slowly", async () => {
    const { reference, descriptor } = await imageIn(registry.host, "acme/slow-registry", "slow-registry");
    const clock = virtualTiming(() => 0);
    // Each request to the registry takes 60 virtual ms.
    const slow = new RegistryClient({
      fetch: async (input, init) => {
        clock.advance(60);
        return fetch(input, init);
      },
    });
    const bundle = await signedBundleFor(`${registry.host}/acme/slow-registry`, descriptor.digest, "slow");
    await pushAttestation(slow, reference, descriptor, bundle, { predicateType: IN_TOTO_SLSA, ...clock });
    expect(clock.slept).toEqual([240, 240]);
  });

  it("on a registry that enforces If-Match: one conditional write and no settle window", async () => {
    const { descriptor } = await imageIn(registry.host, "acme/honours", "honours");
    const proxy = await startProxy(registry, { beforeCheck: async () => {} });
    try {
      const clock = virtualTiming(() => 0);
      const bundle = await signedBundleFor(`${proxy.host}/acme/honours`, descriptor.digest, "honours");
      const viaProxy = parseImageReference(`${proxy.host}/acme/honours@${descriptor.digest}`);
      const pushed = await pushAttestation(new RegistryClient(), viaProxy, descriptor, bundle, { predicateType: IN_TOTO_SLSA, ...clock });
      expect(pushed).toMatchObject({ via: "referrers-tag", guard: "conditional" });
      expect(clock.slept).toEqual([]);
      expect(proxy.puts).toEqual([{ ifNoneMatch: "*", status: 201 }]);
      const index = (await skopeoInspectRaw(registry, `acme/honours:${referrersTag(descriptor.digest)}`)) as { manifests: { digest: string }[] };
      expect(index.manifests.map((m) => m.digest)).toEqual([pushed.digest]);
    } finally {
      proxy.close();
    }
  });
});
