import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The whole vault round trip as a user runs it: the bundled CLI starts the
// server on 127.0.0.1 (port 0: a free port, printed), a second CLI process
// creates a token and registers a key in the same data directory, and the
// client commands talk to the server over a real socket.
const BUNDLE = join(import.meta.dirname, "../dist/provenant.mjs");
let dir: string;
let server: ChildProcess | undefined;
let url: string;

function provenant(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [BUNDLE, ...args], {
    cwd: dir,
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", HOME: dir, NO_COLOR: "1", ...env },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function ok(args: string[], env: Record<string, string> = {}): string {
  const result = provenant(args, env);
  if (result.code !== 0) throw new Error(`provenant ${args.join(" ")} exited ${result.code}:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

beforeAll(async () => {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run "pnpm --filter @provenant/cli build" first`);
  dir = await mkdtemp(join(tmpdir(), "provenant-vault-e2e-"));
  await writeFile(join(dir, "app.tgz"), "the artifact");
  await writeFile(join(dir, "lib.tgz"), "another artifact");
});

afterAll(async () => {
  if (server && server.exitCode === null) server.kill("SIGKILL");
  await rm(dir, { recursive: true, force: true });
});

function startServer(): Promise<string> {
  const child = spawn(process.execPath, [BUNDLE, "server", "--data", "data", "--listen", "127.0.0.1:0"], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? "", HOME: dir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  server = child;
  let output = "";
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`provenant server exited ${code} before listening:\n${output}`)));
  });
}

describe("provenant server with the CLI over a real socket", () => {
  it("starts, takes an upload, serves it to verify --server with its log proof, passes log verify, and stops", async () => {
    url = await startServer();
    expect(existsSync(join(dir, "data", "trusted-root.json"))).toBe(true);

    ok(["keys", "generate", "--out", "signing"]);
    ok(["server", "key", "add", "--data", "data", "--project", "demo/app", "--key", "signing.pub"]);
    const token = ok(["server", "token", "create", "--data", "data", "--project", "demo/app", "--scope", "upload"]).trim();
    expect(token).toMatch(/^pvt_/);
    const env = { PROVENANT_TOKEN: token };

    // attest --upload writes the vault's bundle, carrying the log entry.
    ok(["attest", "app.tgz", "--key", "signing.key", "--platform", "local", "--bundle", "app.sigstore.json", "--upload", url], env);
    const bundle = JSON.parse(await readFile(join(dir, "app.sigstore.json"), "utf8")) as { verificationMaterial: { tlogEntries: { logIndex: string }[] } };
    expect(bundle.verificationMaterial.tlogEntries[0]!.logIndex).toBe("0");

    const listed = ok(["attestations", "list", "--server", url, "app.tgz"], env);
    expect(listed).toMatch(/^0\tsha256:[0-9a-f]{64}\thttps:\/\/slsa\.dev\/provenance\/v1\t/);

    const verified = provenant(["verify", "app.tgz", "--allow-any-source", "--server", url, "--key", "signing.pub", "--trusted-root", "data/trusted-root.json"], env);
    expect(verified.stdout).toContain("logged at index 0, checkpoint size 1");
    // Checked here, so not also noted as unchecked.
    expect(verified.stdout).not.toContain("transparency log entry; not checked");
    expect(verified.stdout).toContain("VERIFIED");
    expect(verified.code).toBe(0);

    // A log key that is not the vault's: the signature still verifies, the log check does not.
    ok(["keys", "generate", "--algorithm", "ed25519", "--out", "other-log"]);
    const wrongLog = provenant(["verify", "app.tgz", "--allow-any-source", "--server", url, "--key", "signing.pub", "--log-key", "other-log.pub"], env);
    expect(wrongLog.code).toBe(1);
    expect(wrongLog.stdout).toMatch(/FAIL\s+transparency log/);

    // Nothing stored for an artifact never uploaded: exit 1, said plainly.
    const missing = provenant(["verify", "lib.tgz", "--allow-any-source", "--server", url, "--key", "signing.pub", "--trusted-root", "data/trusted-root.json"], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("holds no attestation");

    const audit = ["log", "verify", "--server", url, "--trusted-root", "data/trusted-root.json", "--state", "audit.json"];
    expect(ok(audit, env)).toContain("log verified: size 1");
    ok(["attest", "lib.tgz", "--key", "signing.key", "--platform", "local", "--bundle", "lib.sigstore.json", "--upload", url], env);
    expect(ok(audit, env)).toContain("log verified: size 2, root");
    expect(ok(audit, env)).toContain("consistent with the size 2 seen before");

    // The auditor remembers a different tree of size 1 than the log now proves: a rewritten log.
    const state = JSON.parse(await readFile(join(dir, "audit.json"), "utf8")) as Record<string, unknown>;
    await writeFile(join(dir, "audit.json"), JSON.stringify({ ...state, size: 1, rootHash: "ab".repeat(32) }));
    const rewritten = provenant(audit, env);
    expect(rewritten.code).toBe(1);
    expect(rewritten.stdout).toContain("LOG REWRITTEN");
    expect(rewritten.stdout).toContain("first differs at size 1");

    // Without a token the server refuses reads, and the CLI says why.
    const anonymous = provenant(["attestations", "list", "--server", url, "app.tgz"]);
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toContain("[UNAUTHENTICATED]");

    // The operator lists the tokens (no secret shown) and revokes the upload token: the running server refuses it at once.
    const tokens = JSON.parse(ok(["server", "token", "list", "--data", "data", "--json"])) as { id: string; scope: string }[];
    expect(JSON.stringify(tokens)).not.toContain("pvt_");
    const uploadToken = tokens.find((t) => t.scope === "upload")!;
    const revoked = provenant(["server", "token", "revoke", uploadToken.id, "--data", "data"]);
    expect(revoked.code).toBe(0);
    const refused = provenant(["attestations", "list", "--server", url, "app.tgz"], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("[UNAUTHENTICATED]");

    const stopped = new Promise<number | null>((resolve) => server!.once("exit", resolve));
    server!.kill("SIGTERM");
    expect(await stopped).toBe(0);
  });
});
