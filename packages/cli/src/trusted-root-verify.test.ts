import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  generateKeyPair,
  privateKeyFromPem,
  publicKeyFromPem,
  TRUSTED_ROOT_SERVICE_KEYS,
  trustedRootServiceKey,
} from "@provenant/core";
import { trustedRoot } from "@provenant/log";
import { runCli, scratch, writeServiceBuiltBundle } from "./test-support.js";

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await scratch());
  await writeFile(join(dir, "app.tgz"), "the artifact");
});
afterEach(() => cleanup());

const cli = (args: string[]) => runCli(args, { cwd: dir });

/**
 * trusted-root.json as `provenant server` writes it (server/src/vault/open-vault.ts):
 * @provenant/log's TrustedRoot for the log key, plus the `provenant_serviceKeys`
 * member naming the signing service's key.
 */
async function writeTrustedRoot(serviceKey: KeyObject, file = "trusted-root.json") {
  const { publicKey: logKey } = generateKeyPairSync("ed25519");
  const validFrom = "2026-01-01T00:00:00.000Z";
  const root = trustedRoot({ baseUrl: "http://127.0.0.1:8080", origin: "127.0.0.1:8080", publicKey: logKey, validFrom });
  await writeFile(join(dir, file), JSON.stringify({ ...root, [TRUSTED_ROOT_SERVICE_KEYS]: [trustedRootServiceKey(serviceKey, validFrom)] }));
}

const common = ["verify", "app.tgz", "--source-uri", "gitlab.example.com/acme/app"];

describe("provenant verify -b BUNDLE --trusted-root FILE", () => {
  it("trusts the root's marked signing service key as a service key: L3 with no --key or --service-key", async () => {
    const service = generateKeyPair("ecdsa-p256");
    await writeTrustedRoot(publicKeyFromPem(service.publicKeyPem));
    await writeServiceBuiltBundle(dir, privateKeyFromPem(service.privateKeyPem), "service.sigstore.json");

    const result = await cli([...common, "-b", "service.sigstore.json", "--trusted-root", "trusted-root.json", "--slsa-level", "3"]);
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatch(/SLSA Build L3/);
    expect(result.code).toBe(0);

    const json = await cli([...common, "-b", "service.sigstore.json", "--trusted-root", "trusted-root.json", "--json"]);
    expect(JSON.parse(json.stdout).slsaLevel.level).toBe(3);
  });

  it("never reports L3 for a user key's bundle under the same root, whatever the bundle claims", async () => {
    const service = generateKeyPair("ecdsa-p256");
    const user = generateKeyPair("ed25519");
    await writeTrustedRoot(publicKeyFromPem(service.publicKeyPem));
    await writeFile(join(dir, "user.pub"), user.publicKeyPem);
    // A build step holding the user key writes "service-oidc-token" itself.
    await writeServiceBuiltBundle(dir, privateKeyFromPem(user.privateKeyPem), "user.sigstore.json");

    const asUser = await cli([...common, "-b", "user.sigstore.json", "--key", "user.pub", "--trusted-root", "trusted-root.json", "--slsa-level", "3"]);
    expect(asUser.code).toBe(1);
    expect(asUser.stdout).toMatch(/SLSA Build L2.*signed by a user key, not a trusted service key/);
    const json = await cli([...common, "-b", "user.sigstore.json", "--key", "user.pub", "--trusted-root", "trusted-root.json", "--json"]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).slsaLevel.level).toBe(2);

    // With the root alone, the user key is not trusted at all.
    const rootOnly = await cli([...common, "-b", "user.sigstore.json", "--trusted-root", "trusted-root.json", "--json"]);
    expect(rootOnly.code).toBe(1);
    const report = JSON.parse(rootOnly.stdout);
    expect(report.checks.find((c: { id: string }) => c.id === "signature")).toMatchObject({ status: "fail", code: "UNTRUSTED_KEY" });
    expect(report.slsaLevel.level).toBe(0);
  });

  it("refuses a root whose service keyId is not its key's hash (KEY_UNREADABLE, exit 2)", async () => {
    const service = generateKeyPair("ecdsa-p256");
    await writeServiceBuiltBundle(dir, privateKeyFromPem(service.privateKeyPem), "service.sigstore.json");
    const entry = trustedRootServiceKey(publicKeyFromPem(service.publicKeyPem), "2026-01-01T00:00:00.000Z");
    await writeFile(join(dir, "forged-root.json"), JSON.stringify({ tlogs: [], [TRUSTED_ROOT_SERVICE_KEYS]: [{ ...entry, keyId: "0".repeat(64) }] }));

    const result = await cli([...common, "-b", "service.sigstore.json", "--trusted-root", "forged-root.json"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("KEY_UNREADABLE");
    expect(result.stdout).toBe("");
  });
});
