import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createHash, createPrivateKey, type KeyObject, randomUUID, sign } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";

const run = promisify(execFile);

/** One scratch root per test file for layouts; `removeLayouts()` in `afterAll` deletes it. */
let layoutRoot: string | undefined;
function scratchRoot(): string {
  layoutRoot ??= mkdtempSync(join(tmpdir(), "provenant-layouts-"));
  return layoutRoot;
}

export function removeLayouts(): void {
  if (layoutRoot) rmSync(layoutRoot, { recursive: true, force: true });
  layoutRoot = undefined;
}

/** Where Debian's `docker-registry` package (distribution 2.8) installs the registry. */
const REGISTRY_BINARY = "/usr/bin/docker-registry";

export function requireTool(path: string, debianPackage: string): void {
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: these tests need a real one; install it with apt-get install ${debianPackage}`);
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface TestRegistry {
  /** `127.0.0.1:PORT` */
  host: string;
  credentials?: { username: string; password: string };
  /** With token auth: the query strings (GET) or form bodies (POST) the token service was asked with. */
  tokenRequests?: URLSearchParams[];
  /**
   * With token auth: a refresh token the token service accepts in the OAuth2
   * POST grant, as docker's `identitytoken` holds one.
   */
  identityToken?: string;
  close(): Promise<void>;
}

const TOKEN_SERVICE = "provenant-test-registry";
const TOKEN_ISSUER = "provenant-test-token-issuer";

/**
 * A Docker token service (distribution's "Token Authentication
 * Specification"): Basic credentials in, a JWT out, signed by a key whose
 * certificate the registry trusts (`rootcertbundle`), carried in `x5c`. It
 * also takes the OAuth2 form (distribution's "OAuth2 Token Authentication":
 * POST, `grant_type=refresh_token`) with `identityToken` as the refresh token.
 */
async function startTokenService(
  dir: string,
  credentials: { username: string; password: string },
  identityToken: string,
): Promise<{ realm: string; certificate: string; requests: URLSearchParams[]; server: Server }> {
  requireTool("/usr/bin/openssl", "openssl");
  const keyPath = join(dir, "token.key");
  const certificate = join(dir, "token.crt");
  await run("/usr/bin/openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", keyPath, "-out", certificate, "-subj", "/CN=provenant-test-token", "-days", "2",
  ]);
  const key = createPrivateKey(await readFile(keyPath, "utf8"));
  const der = (await readFile(certificate, "utf8")).replace(/-----[^-]+-----|\s/g, "");
  const expected = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`;
  const requests: URLSearchParams[] = [];
  const server = createHttpServer(async (request, response) => {
    const oauth = request.method === "POST";
    let query = new URL(request.url ?? "/", "http://token").searchParams;
    if (oauth) {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      query = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
    }
    requests.push(query);
    const allowed = oauth
      ? query.get("grant_type") === "refresh_token" && query.get("refresh_token") === identityToken && query.has("client_id")
      : request.headers.authorization === expected;
    if (!allowed) {
      response.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ details: "bad credentials" }));
      return;
    }
    // The OAuth2 form puts several scopes in one space-separated field.
    const access = query.getAll("scope").flatMap((field) => field.split(" ")).flatMap((scope) => {
      const [type, name, actions] = scope.split(":");
      return type && name && actions ? [{ type, name, actions: actions.split(",") }] : [];
    });
    const now = Math.floor(Date.now() / 1000);
    const token = es256Jwt(
      { alg: "ES256", typ: "JWT", x5c: [der] },
      { iss: TOKEN_ISSUER, sub: credentials.username, aud: query.get("service") ?? "", iat: now, nbf: now - 10, exp: now + 300, jti: randomUUID(), access },
      key,
    );
    const body = oauth ? { access_token: token, expires_in: 300, scope: query.get("scope") ?? "" } : { token, expires_in: 300 };
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as { port: number };
  return { realm: `http://127.0.0.1:${port}/token`, certificate, requests, server };
}

/**
 * A compact JWS (RFC 7515) with ES256 (RFC 7518 §3.4: the raw r||s signature,
 * which node:crypto calls ieee-p1363). Written here so the published
 * `@provenant/oci/testing` needs no JWT library; the registry verifies it.
 */
function es256Jwt(header: object, claims: object, key: KeyObject): string {
  const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString("base64url");
  const signingInput = `${encode(header)}.${encode(claims)}`;
  return `${signingInput}.${sign("sha256", Buffer.from(signingInput), { key, dsaEncoding: "ieee-p1363" }).toString("base64url")}`;
}

/**
 * Starts distribution 2.8 on 127.0.0.1 with a temporary config and storage
 * directory. With `basicAuth`, an htpasswd file (bcrypt, made by `htpasswd -B`)
 * guards it.
 */
export async function startRegistry(options: { basicAuth?: boolean; tokenAuth?: boolean } = {}): Promise<TestRegistry> {
  requireTool(REGISTRY_BINARY, "docker-registry");
  const dir = await mkdtemp(join(tmpdir(), "provenant-registry-"));
  const port = await freePort();
  const credentials = options.basicAuth || options.tokenAuth ? { username: "ci-bot", password: "s3cret-Passw0rd" } : undefined;
  let auth = "";
  let tokenService: Awaited<ReturnType<typeof startTokenService>> | undefined;
  const identityToken = `refresh-${randomUUID()}`;
  if (credentials && options.tokenAuth) {
    tokenService = await startTokenService(dir, credentials, identityToken);
    auth = [
      "auth:",
      "  token:",
      `    realm: ${tokenService.realm}`,
      `    service: ${TOKEN_SERVICE}`,
      `    issuer: ${TOKEN_ISSUER}`,
      `    rootcertbundle: ${tokenService.certificate}`,
      "",
    ].join("\n");
  } else if (credentials) {
    requireTool("/usr/bin/htpasswd", "apache2-utils");
    const { stdout } = await run("/usr/bin/htpasswd", ["-Bbn", credentials.username, credentials.password]);
    await writeFile(join(dir, "htpasswd"), stdout);
    auth = `auth:\n  htpasswd:\n    realm: provenant-test\n    path: ${join(dir, "htpasswd")}\n`;
  }
  await mkdir(join(dir, "storage"));
  await writeFile(
    join(dir, "config.yml"),
    [
      "version: 0.1",
      "log:",
      "  level: error",
      "  accesslog:",
      "    disabled: true",
      "storage:",
      "  filesystem:",
      `    rootdirectory: ${join(dir, "storage")}`,
      "  delete:",
      "    enabled: true",
      "http:",
      `  addr: 127.0.0.1:${port}`,
      auth,
    ].join("\n"),
  );
  const child: ChildProcess = spawn(REGISTRY_BINARY, ["serve", join(dir, "config.yml")], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  const host = `127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}: ${stderr}`);
    try {
      const response = await fetch(`http://${host}/v2/`);
      if (response.status === 200 || response.status === 401) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`docker-registry did not start on ${host}: ${stderr}`);
    await new Promise((done) => setTimeout(done, 100));
  }
  return {
    host,
    ...(credentials && { credentials }),
    ...(tokenService && { tokenRequests: tokenService.requests, identityToken }),
    async close() {
      tokenService?.server.close();
      child.kill("SIGTERM");
      await new Promise((done) => (child.exitCode !== null ? done(undefined) : child.once("exit", done)));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface LayoutImage {
  dir: string;
  tag: string;
  /** Digest of the image manifest (or of the index, for multi-arch). */
  digest: string;
  mediaType: string;
  size: number;
  /** For a multi-arch image: the children by `os/arch`. */
  children?: Record<string, string>;
}

const sha256 = (bytes: Uint8Array) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

/** A one-file tar archive (POSIX ustar), so the layer is a real layer. */
function tarWithFile(name: string, content: string): Buffer {
  const body = Buffer.from(content);
  const header = Buffer.alloc(512);
  header.write(name, 0, 100);
  header.write("0000644\0", 100);
  header.write("0000000\0", 108);
  header.write("0000000\0", 116);
  header.write(`${body.length.toString(8).padStart(11, "0")}\0`, 124);
  header.write("00000000000\0", 136);
  header.write("        ", 148);
  header.write("0", 156);
  header.write("ustar\x0000", 257);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
  const padding = Buffer.alloc((512 - (body.length % 512)) % 512);
  return Buffer.concat([header, body, padding, Buffer.alloc(1024)]);
}

/**
 * Writes an OCI image layout (image-spec `image-layout.md`) with one image
 * per platform; more than one platform makes an image index. The layer's
 * file content differs per `seed`, so every test image has its own digest.
 */
export async function makeOciLayout(
  seed: string,
  options: { tag?: string; platforms?: string[] } = {},
): Promise<LayoutImage> {
  const dir = await mkdtemp(join(scratchRoot(), "layout-"));
  const tag = options.tag ?? "1.0";
  const blobs = join(dir, "blobs", "sha256");
  await mkdir(blobs, { recursive: true });
  const writeBlob = async (bytes: Uint8Array) => {
    const digest = sha256(bytes);
    await writeFile(join(blobs, digest.slice(7)), bytes);
    return { digest, size: bytes.length };
  };
  const platforms = options.platforms ?? ["linux/amd64"];
  const children: Record<string, string> = {};
  const manifests = [];
  for (const platform of platforms) {
    const [os, architecture] = platform.split("/") as [string, string];
    const layerTar = tarWithFile("hello.txt", `hello from ${seed} on ${platform}\n`);
    const layer = await writeBlob(gzipSync(layerTar));
    const config = await writeBlob(
      Buffer.from(
        JSON.stringify({ architecture, os, rootfs: { type: "layers", diff_ids: [sha256(layerTar)] }, config: { Cmd: ["/hello"] } }),
      ),
    );
    const manifestBytes = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
        layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...layer }],
      }),
    );
    const manifest = await writeBlob(manifestBytes);
    children[platform] = manifest.digest;
    manifests.push({ mediaType: "application/vnd.oci.image.manifest.v1+json", ...manifest, platform: { os, architecture } });
  }
  let top: { mediaType: string; digest: string; size: number };
  if (manifests.length === 1) {
    const { platform: _platform, ...only } = manifests[0]!;
    top = only;
  } else {
    const indexBytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests }));
    top = { mediaType: "application/vnd.oci.image.index.v1+json", ...(await writeBlob(indexBytes)) };
  }
  await writeFile(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  await writeFile(
    join(dir, "index.json"),
    JSON.stringify({ schemaVersion: 2, manifests: [{ ...top, annotations: { "org.opencontainers.image.ref.name": tag } }] }),
  );
  return { dir, tag, ...top, ...(manifests.length > 1 && { children }) };
}

function credentialArgs(prefix: "src" | "dest" | "", registry: TestRegistry): string[] {
  const tls = prefix === "" ? "--tls-verify=false" : `--${prefix}-tls-verify=false`;
  if (!registry.credentials) return [tls];
  const creds = prefix === "" ? "--creds" : `--${prefix}-creds`;
  return [tls, creds, `${registry.credentials.username}:${registry.credentials.password}`];
}

/** Copies an OCI layout into the registry with skopeo, keeping its digests. */
export async function skopeoCopy(image: LayoutImage, registry: TestRegistry, repository: string): Promise<void> {
  requireTool("/usr/bin/skopeo", "skopeo");
  await run("/usr/bin/skopeo", [
    "--insecure-policy",
    "copy",
    "--all",
    "--preserve-digests",
    ...credentialArgs("dest", registry),
    `oci:${image.dir}:${image.tag}`,
    `docker://${registry.host}/${repository}:${image.tag}`,
  ]);
}

/** What skopeo, an independent client, sees at a reference: the raw manifest JSON. */
export async function skopeoInspectRaw(registry: TestRegistry, reference: string): Promise<unknown> {
  requireTool("/usr/bin/skopeo", "skopeo");
  const { stdout } = await run("/usr/bin/skopeo", ["inspect", "--raw", ...credentialArgs("", registry), `docker://${registry.host}/${reference}`]);
  return JSON.parse(stdout);
}
