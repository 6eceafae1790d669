import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ProvenantError } from "@provenant/core";
import { ensureServerKeys, parseListen, redactDatabaseUrl, resolveServerConfig } from "./config.js";

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "provenant-config-"));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function codeOf(run: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await run();
  } catch (error) {
    return error instanceof ProvenantError ? error.code : String(error);
  }
  return undefined;
}

describe("server configuration", () => {
  it("defaults to 127.0.0.1:8080 and SQLite in ./provenant-data", async () => {
    const cwd = await tempDir();
    const config = await resolveServerConfig({}, {}, cwd);
    expect(config).toMatchObject({ host: "127.0.0.1", port: 8080, dataDir: join(cwd, "provenant-data"), databaseUrl: undefined, publicRead: false });
  });

  it("takes PROVENANT_DATABASE_URL, and flags over the environment", async () => {
    const cwd = await tempDir();
    const env = { PROVENANT_DATABASE_URL: "postgres://u@127.0.0.1/db", PROVENANT_LISTEN: "127.0.0.1:9000" };
    expect(await resolveServerConfig({}, env, cwd)).toMatchObject({ databaseUrl: "postgres://u@127.0.0.1/db", port: 9000 });
    expect(await resolveServerConfig({ listen: "[::1]:0", database: "postgresql://v@127.0.0.1/x" }, env, cwd)).toMatchObject({
      host: "::1",
      port: 0,
      databaseUrl: "postgresql://v@127.0.0.1/x",
    });
    expect(await codeOf(() => resolveServerConfig({ database: "mysql://secret@h/db" }, {}, cwd))).toBe("USAGE");
  });

  it("refuses listen addresses that are not HOST:PORT", () => {
    for (const bad of ["8080", "host:", "host:99999", "a:b:c"]) expect(() => parseListen(bad), bad).toThrow(ProvenantError);
    expect(parseListen(":8081")).toEqual({ host: "127.0.0.1", port: 8081 });
  });

  it("never prints a database password", () => {
    expect(redactDatabaseUrl("postgres://vault:s3cret@db.internal/provenant")).not.toContain("s3cret");
  });

  it("reads server.json and names the bad field when it is wrong", async () => {
    const data = await tempDir();
    await writeFile(
      join(data, "server.json"),
      JSON.stringify({ publicRead: true, oidc: { audience: "vault", issuers: [{ issuer: "http://127.0.0.1:1", projectClaim: "repository" }] } }),
    );
    expect(await resolveServerConfig({ data }, {}, "/")).toMatchObject({ publicRead: true, oidc: { audience: "vault" } });
    await writeFile(join(data, "server.json"), JSON.stringify({ oidc: { audience: "vault", issuers: [{ issuer: "not a url", projectClaim: "x" }] } }));
    await expect(resolveServerConfig({ data }, {}, "/")).rejects.toThrow(/oidc\.issuers\.0\.issuer/);
  });

  it("creates the log key and the signing key once, mode 0600, and reuses them on the next start", async () => {
    const data = join(await tempDir(), "data");
    const first = await ensureServerKeys(data);
    expect(first.logKey.asymmetricKeyType).toBe("ed25519");
    expect(first.signingKey.asymmetricKeyType).toBe("ec");
    for (const path of [first.logKeyPath, first.signingKeyPath]) expect((await stat(path)).mode & 0o777).toBe(0o600);
    const pem = await readFile(first.logKeyPath, "utf8");
    const second = await ensureServerKeys(data);
    expect(await readFile(second.logKeyPath, "utf8")).toBe(pem);
    expect(second.logKey.export({ type: "pkcs8", format: "pem" })).toBe(pem);
  });
});
