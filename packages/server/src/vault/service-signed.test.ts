import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUILD_TYPES, FACTS_SOURCE_FIELD, attest, keySigner, parseBundle, sourceDependency } from "@provenant/core";
import { afterEach, describe, expect, it } from "vitest";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import { artifactDigest } from "../test-support/attestations.js";
import { openVault } from "./open-vault.js";
import type { CallerIdentity, Vault } from "./types.js";

// The signing service's own output reaches the vault through
// uploadServiceSigned: stored exactly as a verified upload of the same bundle
// would be, and only for the vault's own key.
const caller: CallerIdentity = { kind: "oidc", subject: "https://gitlab.example.com#job", projects: ["acme/app"], scope: "upload" };
const provenance = {
  buildDefinition: {
    buildType: BUILD_TYPES.gitlab,
    externalParameters: { source: "https://gitlab.example.com/acme/app" },
    resolvedDependencies: [sourceDependency("https://gitlab.example.com/acme/app", "refs/heads/main", "0123456789abcdef0123456789abcdef01234567")],
  },
  runDetails: {
    builder: { id: "https://gitlab.example.com/-/runners/gitlab-hosted" },
    metadata: { [FACTS_SOURCE_FIELD]: "service-oidc-token" },
  },
};

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function vaultWithKey(signingKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey): Promise<{ vault: Vault; signingKey: typeof signingKey }> {
  const dir = await mkdtemp(join(tmpdir(), "provenant-service-signed-"));
  const vault = await openVault({
    store: openSqliteStore({ path: join(dir, "vault.sqlite") }),
    logKey: generateKeyPairSync("ed25519").privateKey,
    origin: "127.0.0.1/provenant-test",
    signingKey,
    clock: () => new Date("2026-12-01T12:00:00Z"),
    batchWindowMs: 1,
  });
  cleanups.push(async () => {
    await vault.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { vault, signingKey };
}

describe("vault.uploadServiceSigned", () => {
  it("stores the service's own provenance with the facts and level a verified upload of the same bundle gets", async () => {
    const { vault, signingKey } = await vaultWithKey();
    const signed = await attest([{ name: "app.tgz", digest: { sha256: artifactDigest(1) } }], provenance, keySigner(signingKey));
    const short = await vault.uploadServiceSigned({ envelope: signed.envelope, statement: signed.statement, provenance: signed.statement.predicate }, caller);
    expect(short.created).toBe(true);
    const { vault: other } = await vaultWithKey(signingKey);
    const verified = await other.upload(signed.bundle, caller);
    const facts = (a: typeof short.attestation) => ({ ...a, bundle: parseBundle(a.bundle).dsseEnvelope, integratedTime: 0 });
    expect(facts(short.attestation)).toEqual(facts(verified.attestation));
    expect(short.attestation).toMatchObject({ slsaLevel: 3, project: "acme/app", source: { repository: "gitlab.example.com/acme/app" } });
    // The same envelope again is the same entry, as for any upload.
    const again = await vault.uploadServiceSigned({ envelope: signed.envelope, statement: signed.statement, provenance: signed.statement.predicate }, caller);
    expect(again).toMatchObject({ created: false, attestation: { logIndex: short.attestation.logIndex } });
  });

  it("verifies an envelope signed by any other key, as an upload: refused when that key is not trusted", async () => {
    const { vault } = await vaultWithKey();
    const stranger = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    const signed = await attest([{ name: "app.tgz", digest: { sha256: artifactDigest(2) } }], provenance, keySigner(stranger));
    await expect(
      vault.uploadServiceSigned({ envelope: signed.envelope, statement: signed.statement, provenance: signed.statement.predicate }, caller),
    ).rejects.toMatchObject({ code: "UNTRUSTED_KEY" });
    // Only the signing route calls uploadServiceSigned, with what it just signed; over the API an
    // envelope whose keyid names the vault's key is an upload, and its signature is checked.
    const { vault: keyed, signingKey } = await vaultWithKey();
    const forged = { ...signed.envelope, signatures: [{ ...signed.envelope.signatures[0]!, keyid: keySigner(signingKey).keyId }] };
    await expect(keyed.upload(forged, caller)).rejects.toMatchObject({ code: expect.stringMatching(/SIGNATURE_INVALID|UNTRUSTED_KEY/) });
  });
});
