import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { isProvenantError } from "@provenant/core";
import { afterEach, describe, expect, it } from "vitest";
import { MEDIA_TYPES } from "../manifest/media-types.js";
import { referrersTag } from "../referrers/fallback-tag.js";
import { listAttestations, pullAttestations } from "../referrers/pull.js";
import { pushAttestation } from "../referrers/push.js";
import { RegistryClient } from "./client.js";

/*
 * Hostile and unusual registries, played by tiny HTTP servers on 127.0.0.1.
 * Response shapes follow the OCI distribution spec v1.1 (routes, status codes,
 * Docker-Content-Digest, WWW-Authenticate, OCI-Subject, the error body) and
 * the Docker token authentication spec (the token endpoint's JSON).
 */

interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
}

type Handler = (request: IncomingMessage, response: ServerResponse, body: Buffer) => void;

const servers: { close: () => void }[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

async function serve(handler: Handler): Promise<{ host: string; requests: Recorded[] }> {
  const requests: Recorded[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", () => {
      requests.push({ method: request.method!, url: request.url!, headers: request.headers });
      handler(request, response, Buffer.concat(chunks));
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  servers.push({ close: () => server.close() });
  return { host: `127.0.0.1:${(server.address() as { port: number }).port}`, requests };
}

const sha256 = (bytes: Uint8Array | string) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
const repo = (host: string) => ({ registry: host, repository: "acme/app" });
const noWait = { sleep: async () => {} };

function rejectsWith(promise: Promise<unknown>, code: string, pattern: RegExp) {
  return expect(promise).rejects.toSatisfy((error) => {
    if (!isProvenantError(error) || error.code !== code || !pattern.test(error.message)) {
      throw new Error(`expected ${code} matching ${pattern}, got ${(error as Error).name} ${(error as { code?: string }).code}: ${(error as Error).message}`);
    }
    return true;
  });
}

const manifestJson = JSON.stringify({
  schemaVersion: 2,
  mediaType: MEDIA_TYPES.ociManifest,
  config: { mediaType: MEDIA_TYPES.empty, digest: sha256("{}"), size: 2 },
  layers: [],
});

describe("a registry serving bad content", () => {
  it("refuses a manifest that is not JSON", async () => {
    const { host } = await serve((_req, res) => {
      res.writeHead(200, { "content-type": MEDIA_TYPES.ociManifest }).end("<html>maintenance</html>");
    });
    await rejectsWith(new RegistryClient().getManifest(repo(host), "1.0"), "MALFORMED_JSON", /manifest .*acme\/app:1\.0 is not valid JSON/);
  });

  it("refuses an oversized manifest, declared or streamed", async () => {
    const huge = Buffer.alloc(5 * 1024 * 1024, 0x20);
    const declared = await serve((_req, res) => {
      res.writeHead(200, { "content-length": String(huge.length) }).end(huge);
    });
    await rejectsWith(new RegistryClient().getManifest(repo(declared.host), "1.0"), "IO_ERROR", /5242880 bytes, over the 4194304-byte limit/);

    const streamed = await serve((_req, res) => {
      res.writeHead(200, { "transfer-encoding": "chunked" });
      for (let i = 0; i < 5; i++) res.write(huge.subarray(0, 1024 * 1024));
      res.end();
    });
    await rejectsWith(new RegistryClient().getManifest(repo(streamed.host), "1.0"), "IO_ERROR", /more than 4194304 bytes/);
  });

  it("refuses a manifest whose bytes are not the digest asked for", async () => {
    const asked = sha256("something else");
    const { host } = await serve((_req, res) => {
      res.writeHead(200, { "content-type": MEDIA_TYPES.ociManifest, "docker-content-digest": asked }).end(manifestJson);
    });
    await rejectsWith(new RegistryClient().getManifest(repo(host), asked), "INVALID_DIGEST", new RegExp(`digest ${sha256(manifestJson)}, expected ${asked}`));
  });

  it("refuses a tag whose Docker-Content-Digest disagrees with the bytes", async () => {
    const { host } = await serve((_req, res) => {
      res.writeHead(200, { "content-type": MEDIA_TYPES.ociManifest, "docker-content-digest": sha256("other") }).end(manifestJson);
    });
    await rejectsWith(new RegistryClient().getManifest(repo(host), "1.0"), "INVALID_DIGEST", /the registry says its digest is/);
  });

  it("refuses a blob whose bytes are not its digest", async () => {
    const { host } = await serve((_req, res) => {
      res.writeHead(200).end("tampered");
    });
    await rejectsWith(new RegistryClient().getBlob(repo(host), sha256("original")), "INVALID_DIGEST", /expected sha256:/);
  });

  it("returns the digest it computed for a good tag", async () => {
    const { host } = await serve((_req, res) => {
      res.writeHead(200, { "content-type": MEDIA_TYPES.ociManifest, "docker-content-digest": sha256(manifestJson) }).end(manifestJson);
    });
    const fetched = await new RegistryClient().getManifest(repo(host), "1.0");
    expect(fetched).toMatchObject({ digest: sha256(manifestJson), mediaType: MEDIA_TYPES.ociManifest, size: manifestJson.length });
  });
});

describe("redirects", () => {
  it("drops credentials when a redirect leads to another host", async () => {
    const blob = "bundle bytes";
    const storage = await serve((_req, res) => {
      res.writeHead(200).end(blob);
    });
    const registry = await serve((req, res) => {
      if (!req.headers.authorization) {
        res.writeHead(401, { "www-authenticate": 'Basic realm="test"' }).end();
        return;
      }
      // "localhost" is another origin than 127.0.0.1, like object storage would be.
      res.writeHead(307, { location: `http://localhost:${storage.host.split(":")[1]}/blob?sig=abc` }).end();
    });
    const client = new RegistryClient({ credentials: async () => ({ username: "u", password: "p" }) });
    expect(new TextDecoder().decode(await client.getBlob(repo(registry.host), sha256(blob)))).toBe(blob);
    expect(registry.requests.at(-1)!.headers.authorization).toBe(`Basic ${Buffer.from("u:p").toString("base64")}`);
    expect(storage.requests).toHaveLength(1);
    expect(storage.requests[0]!.headers.authorization).toBeUndefined();
  });

  // "localhost" is another origin than 127.0.0.1: it plays a host the registry names in a header.
  const elsewhere = (server: { host: string }, path: string) => `http://localhost:${server.host.split(":")[1]}${path}`;
  const basicUP = `Basic ${Buffer.from("u:p").toString("base64")}`;
  const page = (digest: string) =>
    JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [{ mediaType: MEDIA_TYPES.ociManifest, digest, size: 1 }] });

  it("sends no credentials to another host named by a referrers Link header, nor answers its challenge", async () => {
    const subject = sha256(manifestJson);
    // Where a hostile host would send the client for a token, hoping for the Basic credentials.
    const collector = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token: "stolen" }));
    });
    const foreign = await serve((req, res) => {
      if (!req.headers.authorization) {
        res.writeHead(401, { "www-authenticate": `Bearer realm="http://${collector.host}/token",service="x"` }).end();
        return;
      }
      res.writeHead(200, { "content-type": MEDIA_TYPES.ociIndex }).end(page(sha256("two")));
    });
    const registry = await serve((req, res) => {
      if (req.headers.authorization !== basicUP) return void res.writeHead(401, { "www-authenticate": 'Basic realm="test"' }).end();
      res.writeHead(200, { "content-type": MEDIA_TYPES.ociIndex, link: `<${elsewhere(foreign, "/v2/acme/app/referrers/next")}>; rel="next"` }).end(page(sha256("one")));
    });
    const client = new RegistryClient({ credentials: async () => ({ username: "u", password: "p" }), ...noWait });
    await rejectsWith(client.getReferrers(repo(registry.host), subject), "IO_ERROR", /HTTP 401/);
    expect(foreign.requests.map((r) => r.headers.authorization)).toEqual([undefined]);
    expect(collector.requests).toEqual([]);
  });

  it("follows a referrers Link header on the registry itself with its credentials", async () => {
    const subject = sha256(manifestJson);
    const { host, requests } = await serve((req, res) => {
      if (req.headers.authorization !== basicUP) return void res.writeHead(401, { "www-authenticate": 'Basic realm="test"' }).end();
      const last = req.url!.includes("last=");
      res
        .writeHead(200, { "content-type": MEDIA_TYPES.ociIndex, ...(!last && { link: `<http://${host}/v2/acme/app/referrers/${subject}?n=1&last=a>; rel="next"` }) })
        .end(page(sha256(last ? "two" : "one")));
    });
    const client = new RegistryClient({ credentials: async () => ({ username: "u", password: "p" }) });
    expect((await client.getReferrers(repo(host), subject))?.manifests.map((m) => m.digest)).toEqual([sha256("one"), sha256("two")]);
    expect(requests.map((r) => r.headers.authorization)).toEqual([undefined, basicUP, basicUP]);
  });

  it("uploads without credentials to another host named by an upload Location header", async () => {
    const blob = "bundle bytes";
    const foreign = await serve((_req, res) => {
      res.writeHead(201).end();
    });
    const registry = await serve((req, res) => {
      if (req.headers.authorization !== basicUP) return void res.writeHead(401, { "www-authenticate": 'Basic realm="test"' }).end();
      if (req.method === "HEAD") return void res.writeHead(404).end();
      res.writeHead(202, { location: elsewhere(foreign, "/upload/1?_state=x") }).end();
    });
    const client = new RegistryClient({ credentials: async () => ({ username: "u", password: "p" }) });
    expect(await client.putBlob(repo(registry.host), new TextEncoder().encode(blob))).toBe(sha256(blob));
    expect(registry.requests.at(-1)).toMatchObject({ method: "POST", headers: { authorization: basicUP } });
    expect(foreign.requests).toHaveLength(1);
    expect(foreign.requests[0]).toMatchObject({ method: "PUT", url: `/upload/1?_state=x&digest=${encodeURIComponent(sha256(blob))}` });
    expect(foreign.requests[0]!.headers.authorization).toBeUndefined();
  });

  it("follows a 303 after a PUT with a GET without the body (RFC 9110 §15.4.4), and a 302 or 307 with the same PUT and body", async () => {
    const manifest = Buffer.from(manifestJson);
    for (const status of [303, 302, 307]) {
      const bodies: string[] = [];
      const { host, requests } = await serve((req, res, body) => {
        bodies.push(body.toString());
        if (req.url === "/v2/acme/app/manifests/1.0") return void res.writeHead(status, { location: "/moved/1.0" }).end();
        res.writeHead(req.method === "PUT" ? 201 : 200).end();
      });
      const result = await new RegistryClient().putManifest(repo(host), "1.0", manifest, MEDIA_TYPES.ociManifest, { ifMatch: '"etag"' });
      expect(result).toMatchObject({ conflict: false, digest: sha256(manifestJson) });
      const [first, second] = requests as [Recorded, Recorded];
      expect(first.method).toBe("PUT");
      expect(second.url).toBe("/moved/1.0");
      if (status === 303) {
        expect(second.method).toBe("GET");
        expect(bodies[1]).toBe("");
        expect(second.headers["content-type"]).toBeUndefined();
        expect(second.headers["if-match"]).toBeUndefined();
      } else {
        expect(second.method).toBe("PUT");
        expect(bodies[1]).toBe(manifestJson);
        expect(second.headers["content-type"]).toBe(MEDIA_TYPES.ociManifest);
      }
    }
  });

  it("refuses a redirect to plain HTTP on a host that is not loopback", async () => {
    const { host } = await serve((_req, res) => {
      res.writeHead(302, { location: "http://downgrade.example/blob" }).end();
    });
    await rejectsWith(new RegistryClient().getBlob(repo(host), sha256("x")), "USAGE", /refusing http:\/\/downgrade\.example.*--insecure-registry/);
  });

  it("speaks HTTPS to other hosts unless they are named insecure", async () => {
    const urls: string[] = [];
    const fetch = (async (url: URL) => {
      urls.push(String(url));
      throw new TypeError("fetch failed");
    }) as unknown as typeof globalThis.fetch;
    const options = { fetch, retries: 0 };
    await expect(new RegistryClient(options).hasBlob({ registry: "registry.corp:5000", repository: "a" }, sha256("x"))).rejects.toThrow(/cannot reach/);
    await expect(
      new RegistryClient({ ...options, insecureRegistries: ["registry.corp:5000"] }).hasBlob({ registry: "registry.corp:5000", repository: "a" }, sha256("x")),
    ).rejects.toThrow();
    await expect(new RegistryClient(options).hasBlob({ registry: "docker.io", repository: "library/alpine" }, sha256("x"))).rejects.toThrow();
    expect(urls.map((u) => u.split("/v2/")[0])).toEqual(["https://registry.corp:5000", "http://registry.corp:5000", "https://registry-1.docker.io"]);
  });
});

describe("retries, backoff and timeouts", () => {
  it("retries 503 and 429, honouring Retry-After", async () => {
    let calls = 0;
    const { host } = await serve((_req, res) => {
      calls++;
      if (calls === 1) res.writeHead(503).end();
      else if (calls === 2) res.writeHead(429, { "retry-after": "2" }).end();
      else res.writeHead(200).end("ok");
    });
    const waits: number[] = [];
    const client = new RegistryClient({ backoffMs: 100, sleep: async (ms) => void waits.push(ms) });
    expect(new TextDecoder().decode(await client.getBlob(repo(host), sha256("ok")))).toBe("ok");
    expect(calls).toBe(3);
    expect(waits[0]).toBeGreaterThanOrEqual(75);
    expect(waits[0]).toBeLessThanOrEqual(125);
    expect(waits[1]).toBe(2000);
  });

  it("gives up after its retries with the registry's error", async () => {
    let calls = 0;
    const { host } = await serve((_req, res) => {
      calls++;
      res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ errors: [{ code: "UNKNOWN", message: "disk full" }] }));
    });
    await rejectsWith(new RegistryClient({ retries: 2, ...noWait }).getBlob(repo(host), sha256("x")), "IO_ERROR", /HTTP 500 \(UNKNOWN: disk full\)/);
    expect(calls).toBe(3);
  });

  it("times out a registry that never answers", async () => {
    const { host } = await serve(() => {
      // never responds
    });
    await rejectsWith(new RegistryClient({ timeoutMs: 300, ...noWait }).getManifest(repo(host), "1.0"), "IO_ERROR", /did not answer within 0\.3s/);
  });
});

describe("Bearer token authentication", () => {
  it("gets a token from the realm with Basic credentials and the needed scope", async () => {
    const auth = await serve((req, res) => {
      const ok = req.headers.authorization === `Basic ${Buffer.from("bot:pw").toString("base64")}`;
      res.writeHead(ok ? 200 : 401, { "content-type": "application/json" }).end(JSON.stringify(ok ? { token: "t0k3n", expires_in: 300 } : {}));
    });
    const registry = await serve((req, res) => {
      if (req.headers.authorization !== "Bearer t0k3n") {
        res
          .writeHead(401, {
            "www-authenticate": `Bearer realm="http://${auth.host}/token",service="test-registry",scope="repository:acme/app:pull"`,
          })
          .end();
        return;
      }
      res.writeHead(200, { "content-type": MEDIA_TYPES.ociManifest }).end(manifestJson);
    });
    const client = new RegistryClient({ credentials: async () => ({ username: "bot", password: "pw" }) });
    expect((await client.getManifest(repo(registry.host), "1.0"))?.digest).toBe(sha256(manifestJson));
    // The token is reused for the same scope.
    await client.getManifest(repo(registry.host), "1.0");
    expect(auth.requests).toHaveLength(1);
    const tokenUrl = new URL(auth.requests[0]!.url, "http://x");
    expect(tokenUrl.searchParams.get("service")).toBe("test-registry");
    expect(tokenUrl.searchParams.get("scope")).toBe("repository:acme/app:pull");
    expect(registry.requests.map((r) => r.headers.authorization)).toEqual([undefined, "Bearer t0k3n", "Bearer t0k3n"]);
  });

  it("says an identity token needs the OAuth2 POST endpoint when the token service has none", async () => {
    const auth = await serve((req, res) => {
      res.writeHead(req.method === "POST" ? 404 : 200, { "content-type": "application/json" }).end(JSON.stringify({ token: "t" }));
    });
    const registry = await serve((_req, res) => {
      res.writeHead(401, { "www-authenticate": `Bearer realm="http://${auth.host}/token",service="s"` }).end();
    });
    const client = new RegistryClient({ credentials: async () => ({ username: "<token>", password: "", identityToken: "refresh-secret" }) });
    await rejectsWith(client.getManifest(repo(registry.host), "1.0"), "IO_ERROR", /no OAuth2 POST endpoint, which an identity token needs/);
    // Only the POST: the refresh token is never sent in a URL or as Basic credentials.
    expect(auth.requests.map((r) => [r.method, r.url, r.headers.authorization])).toEqual([["POST", "/token", undefined]]);
  });

  it("says so when the token service answers without a token", async () => {
    const auth = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
    const registry = await serve((_req, res) => {
      res.writeHead(401, { "www-authenticate": `Bearer realm="http://${auth.host}/token",service="s"` }).end();
    });
    await rejectsWith(new RegistryClient().getManifest(repo(registry.host), "1.0"), "IO_ERROR", /expected JSON with a "token"/);
  });

  it("gives a coded error, not a crash, for a challenge, redirect or Link that is no URL", async () => {
    const badRealm = await serve((_req, res) => {
      res.writeHead(401, { "www-authenticate": 'Bearer realm="::",service="s"' }).end();
    });
    await rejectsWith(new RegistryClient().getManifest(repo(badRealm.host), "1.0"), "IO_ERROR", /Bearer challenge's realm is not a valid URL/);
    const badRedirect = await serve((_req, res) => {
      res.writeHead(307, { location: "http://[::1" }).end();
    });
    await rejectsWith(new RegistryClient().getManifest(repo(badRedirect.host), "1.0"), "IO_ERROR", /redirect Location is not a valid URL/);
  });
});

describe("a registry with the referrers API", () => {
  it("lets the registry index the referrer and lists through the API", async () => {
    const subject = { mediaType: MEDIA_TYPES.ociManifest, digest: sha256(manifestJson), size: manifestJson.length };
    let stored: { digest: string; size: number; annotations: Record<string, string> } | undefined;
    let storedBytes: Buffer | undefined;
    const { host, requests } = await serve((req, res, body) => {
      const url = new URL(req.url!, "http://x");
      if (req.method === "HEAD") return void res.writeHead(404).end();
      if (req.method === "POST") return void res.writeHead(202, { location: "/v2/acme/app/blobs/uploads/1" }).end();
      if (req.method === "PUT" && url.pathname.includes("/blobs/")) return void res.writeHead(201).end();
      if (req.method === "PUT" && url.pathname.includes("/manifests/")) {
        const manifest = JSON.parse(body.toString()) as { annotations: Record<string, string>; subject: { digest: string } };
        stored = { digest: sha256(body), size: body.length, annotations: manifest.annotations };
        storedBytes = body;
        return void res.writeHead(201, { "oci-subject": manifest.subject.digest, "docker-content-digest": sha256(body) }).end();
      }
      if (url.pathname === `/v2/acme/app/referrers/${subject.digest}`) {
        const index = {
          schemaVersion: 2,
          mediaType: MEDIA_TYPES.ociIndex,
          // Empty until something is pushed: pushAttestation looks for the bundle first.
          manifests: stored ? [{ mediaType: MEDIA_TYPES.ociManifest, artifactType: MEDIA_TYPES.sigstoreBundle, ...stored }] : [],
        };
        return void res.writeHead(200, { "content-type": MEDIA_TYPES.ociIndex }).end(JSON.stringify(index));
      }
      if (stored && url.pathname === `/v2/acme/app/manifests/${stored.digest}`) {
        return void res.writeHead(200, { "content-type": MEDIA_TYPES.ociManifest }).end(storedBytes);
      }
      res.writeHead(404).end();
    });
    const client = new RegistryClient();
    const pushed = await pushAttestation(client, repo(host), subject, new TextEncoder().encode("{}"), { predicateType: "https://slsa.dev/provenance/v1" });
    expect(pushed.via).toBe("referrers-api");
    // No fallback tag was written.
    expect(requests.filter((r) => r.method === "PUT" && r.url.includes("/manifests/sha256-"))).toEqual([]);
    const listed = await listAttestations(client, repo(host), subject.digest);
    expect(listed).toEqual([
      {
        source: "referrers-api",
        manifestDigest: pushed.digest,
        mediaType: MEDIA_TYPES.ociManifest,
        predicateType: "https://slsa.dev/provenance/v1",
        created: expect.any(String),
        bundleDigest: sha256(Buffer.from("{}")),
      },
    ]);
  });

  /**
   * Bundle referrers of `subject` as a registry stores them: manifest bytes by digest
   * (OCI image spec "manifest.md", the artifact shape pushAttestation writes) and their bundle blobs.
   */
  function referrerContent(subject: string, notes: string[]) {
    const content = new Map<string, Buffer>();
    const descriptors = notes.map((note) => {
      const bundle = Buffer.from(JSON.stringify({ mediaType: MEDIA_TYPES.sigstoreBundle, note }));
      content.set(sha256(bundle), bundle);
      const annotations = { "dev.sigstore.bundle.predicateType": `https://example.com/${note}` };
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MEDIA_TYPES.ociManifest,
          artifactType: MEDIA_TYPES.sigstoreBundle,
          config: { mediaType: MEDIA_TYPES.empty, digest: sha256("{}"), size: 2 },
          layers: [{ mediaType: MEDIA_TYPES.sigstoreBundle, digest: sha256(bundle), size: bundle.length }],
          subject: { mediaType: MEDIA_TYPES.ociManifest, digest: subject, size: manifestJson.length },
          annotations,
        }),
      );
      content.set(sha256(manifest), manifest);
      return { mediaType: MEDIA_TYPES.ociManifest, digest: sha256(manifest), size: manifest.length, artifactType: MEDIA_TYPES.sigstoreBundle, annotations };
    });
    return { content, descriptors };
  }

  const indexOf = (manifests: unknown[]) => JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests });

  it("still lists what the sha256-<hex> tag holds from before the registry gained the API, once per digest", async () => {
    const subject = sha256(manifestJson);
    // Two pushed before the upgrade (tag only); one after, which a client also added to the tag.
    const old = referrerContent(subject, ["before-1", "before-2"]);
    const recent = referrerContent(subject, ["after"]);
    const content = new Map([...old.content, ...recent.content]);
    const tagIndex = indexOf([...old.descriptors, ...recent.descriptors]);
    const { host } = await serve((req, res) => {
      const url = new URL(req.url!, "http://x");
      // Distribution spec v1.1: the referrers API answers with an image index of what the
      // registry indexed itself, here only the manifest pushed after the upgrade.
      if (url.pathname === `/v2/acme/app/referrers/${subject}`) {
        return void res.writeHead(200, { "content-type": MEDIA_TYPES.ociIndex }).end(indexOf(recent.descriptors));
      }
      if (url.pathname === `/v2/acme/app/manifests/${referrersTag(subject)}`) {
        return void res.writeHead(200, { "content-type": MEDIA_TYPES.ociIndex }).end(tagIndex);
      }
      const stored = content.get(url.pathname.split("/").at(-1)!);
      if (stored) return void res.writeHead(200, { "content-type": MEDIA_TYPES.ociManifest }).end(stored);
      res.writeHead(404).end();
    });
    const client = new RegistryClient();
    const listed = await listAttestations(client, repo(host), subject);
    expect(listed.map((a) => [a.source, a.manifestDigest, a.predicateType])).toEqual([
      ["referrers-api", recent.descriptors[0]!.digest, "https://example.com/after"],
      ["referrers-tag", old.descriptors[0]!.digest, "https://example.com/before-1"],
      ["referrers-tag", old.descriptors[1]!.digest, "https://example.com/before-2"],
    ]);
    const pulled = await pullAttestations(client, repo(host), subject);
    expect(pulled.map((p) => (p.document as { note: string }).note)).toEqual(["after", "before-1", "before-2"]);
  });

  it("lists every page of a paged referrers answer, following Link the way the spec shows it", async () => {
    const subject = sha256(manifestJson);
    const referrer = (n: number, artifactType: string) => ({
      mediaType: MEDIA_TYPES.ociManifest,
      digest: sha256(`referrer ${n}`),
      size: 100 + n,
      artifactType,
      annotations: { "dev.sigstore.bundle.predicateType": `https://example.com/predicate/${n}` },
    });
    const all = [
      referrer(1, MEDIA_TYPES.sigstoreBundle),
      referrer(2, "application/spdx+json"),
      referrer(3, MEDIA_TYPES.sigstoreBundle),
      referrer(4, MEDIA_TYPES.sigstoreBundle),
      referrer(5, MEDIA_TYPES.sigstoreBundle),
    ];
    // Distribution spec v1.1 "Listing Referrers": pages of an image index, the next one named by
    // `Link: <url>; rel="next"`, a URL relative to the registry like the spec's `/v2/<name>/referrers/<digest>?n=<n>&last=<last>`.
    const { host, requests } = await serve((req, res) => {
      const url = new URL(req.url!, "http://x");
      if (url.pathname !== `/v2/acme/app/referrers/${subject}`) return void res.writeHead(404).end();
      const start = Number(url.searchParams.get("last") ?? 0);
      const manifests = all.slice(start, start + 2);
      const headers: Record<string, string> = { "content-type": MEDIA_TYPES.ociIndex };
      if (start + 2 < all.length) headers.link = `</v2/acme/app/referrers/${subject}?n=2&last=${start + 2}>; rel="next"`;
      res.writeHead(200, headers).end(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests }));
    });
    const listed = await listAttestations(new RegistryClient(), repo(host), subject);
    expect(listed.map((a) => [a.source, a.manifestDigest, a.predicateType])).toEqual(
      [1, 3, 4, 5].map((n) => ["referrers-api", sha256(`referrer ${n}`), `https://example.com/predicate/${n}`]),
    );
    expect(requests.filter((r) => r.url.includes("/referrers/")).map((r) => new URL(r.url, "http://x").searchParams.get("last"))).toEqual([null, "2", "4"]);
  });
});

describe("names in registry errors", () => {
  it("prints a tag as repo:tag and a digest as repo@digest", async () => {
    const { host } = await serve((_req, res) => void res.writeHead(500).end());
    const client = new RegistryClient();
    const digest = `sha256:${"c".repeat(64)}`;
    await expect(client.getManifest(repo(host), "1.0")).rejects.toThrow(`manifest ${host}/acme/app:1.0`);
    await expect(client.getManifest(repo(host), digest)).rejects.toThrow(`manifest ${host}/acme/app@${digest}`);
    await expect(client.putManifest(repo(host), "sha256-abc", new TextEncoder().encode("{}"), "application/json")).rejects.toThrow(
      `pushing manifest ${host}/acme/app:sha256-abc`,
    );
  });
});
