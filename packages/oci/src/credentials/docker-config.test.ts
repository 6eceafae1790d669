import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isProvenantError } from "@provenant/core";
import { afterAll, describe, expect, it } from "vitest";
import { registryCredentials } from "./docker-config.js";

// Shapes from docker/cli's configfile (config.json) and docker-credential-helpers' `get` protocol.
const scratchDirs: string[] = [];
afterAll(() => Promise.all(scratchDirs.map((dir) => rm(dir, { recursive: true, force: true }))));

async function dockerConfig(config: unknown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "provenant-docker-"));
  scratchDirs.push(dir);
  await writeFile(join(dir, "config.json"), typeof config === "string" ? config : JSON.stringify(config));
  return dir;
}

const b64 = (text: string) => Buffer.from(text).toString("base64");

describe("registryCredentials", () => {
  it("prefers PROVENANT_REGISTRY_USERNAME/PASSWORD", async () => {
    const dir = await dockerConfig({ auths: { "ghcr.io": { auth: b64("config:user") } } });
    const source = registryCredentials({ env: { DOCKER_CONFIG: dir, PROVENANT_REGISTRY_USERNAME: "env", PROVENANT_REGISTRY_PASSWORD: "pw" } });
    expect(await source("ghcr.io")).toEqual({ username: "env", password: "pw" });
  });

  it("keeps the variables' credentials to PROVENANT_REGISTRY_HOSTS when set", async () => {
    const env = { PROVENANT_REGISTRY_USERNAME: "env", PROVENANT_REGISTRY_PASSWORD: "pw", PROVENANT_REGISTRY_HOSTS: "ghcr.io, registry.corp:5000" };
    const source = registryCredentials({ env, homeDir: "/nonexistent" });
    expect(await source("ghcr.io")).toEqual({ username: "env", password: "pw" });
    expect(await source("registry.corp:5000")).toEqual({ username: "env", password: "pw" });
    expect(await source("docker.io")).toBeUndefined();
  });

  it("reads auths by host, with or without scheme, and Docker Hub under its index URL", async () => {
    const dir = await dockerConfig({
      auths: {
        "https://ghcr.io": { auth: b64("gh:pass:with:colons") },
        "https://index.docker.io/v1/": { username: "hub", password: "hubpw" },
        "registry.corp:5000": { auth: b64("corp:pw") },
      },
    });
    const source = registryCredentials({ env: { DOCKER_CONFIG: dir } });
    expect(await source("ghcr.io")).toEqual({ username: "gh", password: "pass:with:colons" });
    expect(await source("docker.io")).toEqual({ username: "hub", password: "hubpw" });
    expect(await source("registry.corp:5000")).toEqual({ username: "corp", password: "pw" });
    expect(await source("registry.corp")).toBeUndefined();
    expect(await source("quay.io")).toBeUndefined();
  });

  it("reads an identity token (ACR's `az acr login` entry) and a helper's <token> answer as an OAuth2 refresh token", async () => {
    const acrUser = "00000000-0000-0000-0000-000000000000";
    const dir = await dockerConfig({
      auths: { "acme.azurecr.io": { auth: b64(`${acrUser}:`), identitytoken: "refresh-abc" }, "bare.example": { identitytoken: "refresh-def" } },
      credHelpers: { "gcr.example": "gcloud" },
    });
    const source = registryCredentials({ env: { DOCKER_CONFIG: dir }, runHelper: async () => JSON.stringify({ Username: "<token>", Secret: "refresh-ghi" }) });
    expect(await source("acme.azurecr.io")).toEqual({ username: acrUser, password: "", identityToken: "refresh-abc" });
    expect(await source("bare.example")).toEqual({ username: "<token>", password: "", identityToken: "refresh-def" });
    expect(await source("gcr.example")).toEqual({ username: "<token>", password: "", identityToken: "refresh-ghi" });
  });

  it("warns about an empty auths entry when no credsStore could hold its secret", async () => {
    const dir = await dockerConfig({ auths: { "ghcr.io": {} } });
    const warnings: string[] = [];
    expect(await registryCredentials({ env: { DOCKER_CONFIG: dir }, warn: (m) => warnings.push(m) })("ghcr.io")).toBeUndefined();
    expect(warnings).toEqual([`${join(dir, "config.json")}: the auths entry for ghcr.io holds no credentials and no credsStore is set`]);
  });

  it("asks credHelpers for their host and credsStore for the rest", async () => {
    const dir = await dockerConfig({ credHelpers: { "123.dkr.ecr.example": "ecr-login" }, credsStore: "pass" });
    const asked: string[] = [];
    const source = registryCredentials({
      env: { DOCKER_CONFIG: dir },
      runHelper: async (helper, serverUrl) => {
        asked.push(`${helper} ${serverUrl}`);
        return helper === "ecr-login" ? JSON.stringify({ ServerURL: serverUrl, Username: "AWS", Secret: "tok" }) : undefined;
      },
    });
    expect(await source("123.dkr.ecr.example")).toEqual({ username: "AWS", password: "tok" });
    expect(await source("docker.io")).toBeUndefined();
    expect(asked).toEqual(["ecr-login 123.dkr.ecr.example", "pass https://index.docker.io/v1/"]);
  });

  it("runs a real docker-credential-* program from PATH", async () => {
    const bin = await mkdtemp(join(tmpdir(), "provenant-helper-"));
    scratchDirs.push(bin);
    // Echoes the server URL it was asked about, proving it came through stdin.
    await writeFile(
      join(bin, "docker-credential-provenant-test"),
      '#!/bin/sh\n[ "$1" = get ] || exit 2\nread server\nprintf \'{"ServerURL":"%s","Username":"helper-user%s","Secret":"%s"}\' "$server" "$PROVENANT_SIGNING_KEY" "$server"\n',
    );
    await chmod(join(bin, "docker-credential-provenant-test"), 0o755);
    const dir = await dockerConfig({ credsStore: "provenant-test" });
    const savedPath = process.env.PATH;
    process.env.PATH = `${bin}:${savedPath}`;
    // A helper named by a config the build could rewrite never sees the signing key.
    process.env.PROVENANT_SIGNING_KEY = "-the-key";
    try {
      expect(await registryCredentials({ env: { DOCKER_CONFIG: dir } })("ghcr.io")).toEqual({ username: "helper-user", password: "ghcr.io" });
      const missing = await dockerConfig({ credsStore: "not-installed-anywhere" });
      await expect(registryCredentials({ env: { DOCKER_CONFIG: missing } })("ghcr.io")).rejects.toThrow(
        /docker-credential-not-installed-anywhere is not installed/,
      );
    } finally {
      delete process.env.PROVENANT_SIGNING_KEY;
      process.env.PATH = savedPath;
    }
  });

  it("says where a broken config.json or helper output broke without quoting any of it", async () => {
    const secret = b64("ci-bot:Sup3r-s3cret-t0ken");
    // Every 4-character piece of the secret: none may appear anywhere in what the error carries.
    const pieces = Array.from({ length: secret.length - 3 }, (_, i) => secret.slice(i, i + 4));
    const carried = (error: unknown) => {
      const e = error as Error & { cause?: unknown };
      return [e.message, String(e.stack), String(e.cause ?? ""), String((e.cause as Error | undefined)?.message ?? "")].join("\n");
    };
    const cases = [
      // V8 quotes the text around an unexpected token ...
      { config: `{"auths": {"ghcr.io": {"auth": ${secret}}}}`, where: /is not valid JSON; expected/ },
      // ... and gives a position for a misplaced comma.
      { config: `{"auths": {"ghcr.io": {"auth": "${secret}",,}}}`, where: /at line 1, column \d+; expected/ },
      { config: `{"auths": {"ghcr.io":\n {"auth": "${secret}"\n`, where: /\(it ends too early\)|at line/ },
    ];
    for (const { config, where } of cases) {
      const dir = await dockerConfig(config);
      const error = await registryCredentials({ env: { DOCKER_CONFIG: dir } })("ghcr.io").catch((e: unknown) => e);
      expect(isProvenantError(error, "MALFORMED_JSON")).toBe(true);
      expect((error as Error).message).toMatch(where);
      expect(pieces.filter((piece) => carried(error).includes(piece))).toEqual([]);
    }
    const helperDir = await dockerConfig({ credsStore: "leaky" });
    const error = await registryCredentials({ env: { DOCKER_CONFIG: helperDir }, runHelper: async () => `{"Username": "u", "Secret": ${secret}}` })(
      "ghcr.io",
    ).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/docker-credential-leaky printed something that is not JSON/);
    expect(pieces.filter((piece) => carried(error).includes(piece))).toEqual([]);
  });

  it("has nothing to offer when there is no config, and says what is wrong with a broken one", async () => {
    expect(await registryCredentials({ env: {}, homeDir: "/nonexistent" })("ghcr.io")).toBeUndefined();
    const broken = await dockerConfig("{ not json");
    await expect(registryCredentials({ env: { DOCKER_CONFIG: broken } })("ghcr.io")).rejects.toSatisfy((e) => isProvenantError(e, "MALFORMED_JSON"));
    const badAuth = await dockerConfig({ auths: { "ghcr.io": { auth: b64("no-colon") } } });
    await expect(registryCredentials({ env: { DOCKER_CONFIG: badAuth } })("ghcr.io")).rejects.toThrow(/not base64 of USER:PASSWORD/);
    const badHelper = await dockerConfig({ credsStore: "../../bin/sh" });
    await expect(registryCredentials({ env: { DOCKER_CONFIG: badHelper } })("ghcr.io")).rejects.toThrow(/credsStore: expected a helper name/);
  });
});
