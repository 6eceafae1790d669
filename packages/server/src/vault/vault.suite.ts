import { createHash, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { isProvenantError } from "@provenant/core";
import { verifyConsistency, verifyInclusion, verifyTlogEntries } from "@provenant/log";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Store } from "../store/store.js";
import {
  type TestSigner,
  artifactDigest,
  signedOtherPredicate,
  signedProvenance,
  tampered,
  testSigner,
} from "../test-support/attestations.js";
import { auditVaultLog } from "../test-support/log-audit.js";
import { openVault } from "./open-vault.js";
import type { CallerIdentity, Vault } from "./types.js";

/** Runs the vault's behaviour against one backend; `open` opens a store on one shared, initially empty database. */
export interface VaultTarget {
  backend: "sqlite" | "postgres";
  fresh(): Promise<{ open(): Promise<Store> }>;
}

const ORIGIN = "vault.test/provenant";
const CLOCK = () => new Date("2026-03-01T12:00:00Z");
const uploader: CallerIdentity = { kind: "token", subject: "tok_ci", projects: ["acme/app"], scope: "upload", from: "10.0.0.1" };
const admin: CallerIdentity = { kind: "token", subject: "tok_admin", projects: ["*"], scope: "admin", from: "10.0.0.9" };

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isProvenantError(error)) return error.code;
    throw error;
  }
  return "(no error)";
}

export function vaultSuite(target: VaultTarget): void {
  describe(`Vault over ${target.backend}`, () => {
    let logKey: KeyObject;
    let trusted: { origin: string; publicKey: KeyObject };
    let signer: TestSigner;
    let openStore: () => Promise<Store>;
    let store: Store;
    let vault: Vault;
    const vaults: Vault[] = [];
    const openOne = async (batchWindowMs = 2) => {
      const s = await openStore();
      const v = await openVault({ store: s, logKey, origin: ORIGIN, clock: CLOCK, batchWindowMs });
      vaults.push(v);
      return { store: s, vault: v };
    };

    beforeEach(async () => {
      ({ privateKey: logKey } = generateKeyPairSync("ed25519"));
      trusted = { origin: ORIGIN, publicKey: createPublicKey(logKey) };
      signer = testSigner();
      openStore = (await target.fresh()).open;
      ({ store, vault } = await openOne());
      await vault.registerKey({ project: "acme/app", publicKeyPem: signer.publicKeyPem, name: "release" }, admin);
    });
    afterEach(async () => {
      for (const v of vaults.splice(0)) await v.close().catch(() => undefined);
    });

    it("stores a verified upload with its indexed facts and returns a bundle whose log entry verifies", async () => {
      const bundle = await signedProvenance(signer, 1);
      const { attestation, created } = await vault.upload(bundle, uploader);
      expect(created).toBe(true);
      expect(attestation).toMatchObject({
        logIndex: 0,
        subjects: [{ name: "app-1.tgz", digest: { sha256: artifactDigest(1) } }],
        predicateType: "https://slsa.dev/provenance/v1",
        project: "acme/app",
        source: { repository: "github.com/acme/app", ref: "refs/heads/main", commit: "c0ffee".padEnd(40, "0") },
        builderId: "https://github.com/actions/runner/github-hosted",
        slsaLevel: 2,
        uploadedBy: "tok_ci",
        integratedTime: "2026-03-01T12:00:00.000Z",
      });
      expect(attestation.bundle.dsseEnvelope).toEqual(bundle.dsseEnvelope);
      expect(verifyTlogEntries(attestation.bundle, trusted)).toMatchObject({ logIndex: 0, treeSize: 1 });
      expect(await vault.getByIndex(0)).toEqual(attestation);
      const found = await vault.findByDigest({ digest: `sha256:${artifactDigest(1)}` });
      expect(found.items.map((a) => a.logIndex)).toEqual([0]);
      const audit = await store.auditLog({ limit: 10 });
      expect(audit.map((a) => [a.actor, a.action, a.target, a.from])).toEqual([
        ["tok_admin", "key.register", expect.stringContaining("acme/app"), "10.0.0.9"],
        ["tok_ci", "attestation.upload", "0", "10.0.0.1"],
      ]);
    });

    it("accepts a bare DSSE envelope, a one-line .intoto.jsonl body and other predicate types (stored at level 0)", async () => {
      const asEnvelope = (await signedProvenance(signer, 2)).dsseEnvelope!;
      const jsonl = `${JSON.stringify((await signedProvenance(signer, 3)).dsseEnvelope)}\n`;
      const other = await signedOtherPredicate(signer, 4);
      const results = await Promise.all([vault.upload(asEnvelope, uploader), vault.upload(jsonl, uploader), vault.upload(other, uploader)]);
      expect(results.map((r) => r.created)).toEqual([true, true, true]);
      expect(results[2]!.attestation).toMatchObject({ predicateType: "https://in-toto.io/attestation/test-result/v0.1", slsaLevel: 0 });
      expect(results[2]!.attestation.source).toBeUndefined();
      for (const r of results) expect(verifyTlogEntries(r.attestation.bundle, trusted).logIndex).toBe(r.attestation.logIndex);
    });

    it("refuses bad uploads with a code each and changes nothing", async () => {
      const before = await vault.checkpoint();
      const stranger = testSigner();
      const other = testSigner();
      await vault.registerKey({ project: "acme/other", publicKeyPem: other.publicKeyPem }, admin);
      const auditBefore = (await store.auditLog({ limit: 100 })).length;
      expect(await codeOf(vault.upload(await signedProvenance(stranger, 1), uploader))).toBe("UNTRUSTED_KEY");
      // A key registered for another project does not sign for this caller's.
      expect(await codeOf(vault.upload(await signedProvenance(other, 1), uploader))).toBe("UNTRUSTED_KEY");
      expect(await codeOf(vault.upload(tampered(await signedProvenance(signer, 1)), uploader))).toBe("SIGNATURE_INVALID");
      expect(await codeOf(vault.upload({ hello: "world" }, uploader))).toBe("MALFORMED_BUNDLE");
      expect(await codeOf(vault.upload("not json\n", uploader))).toBe("MALFORMED_JSON");
      expect(await codeOf(vault.upload("{}\n{}\n", uploader))).toBe("USAGE");
      expect(await codeOf(vault.upload(await signedProvenance(signer, 1), { ...uploader, scope: "read" }))).toBe("FORBIDDEN");
      expect(await vault.checkpoint()).toBe(before);
      expect((await store.treeState()).size).toBe(0);
      expect(await vault.getByIndex(0)).toBeUndefined();
      expect((await vault.findByDigest({ digest: `sha256:${artifactDigest(1)}` })).items).toEqual([]);
      expect((await store.auditLog({ limit: 100 })).length).toBe(auditBefore);
    });

    it("is idempotent: the same envelope again, as bundle or bare envelope, or twice at once, is the same entry", async () => {
      const bundle = await signedProvenance(signer, 5);
      const first = await vault.upload(bundle, uploader);
      const again = await vault.upload(bundle, uploader);
      const bare = await vault.upload(bundle.dsseEnvelope, uploader);
      expect(again).toEqual({ attestation: first.attestation, created: false });
      expect(bare.attestation.logIndex).toBe(first.attestation.logIndex);
      expect(bare.created).toBe(false);
      const twin = await signedProvenance(signer, 6);
      const racing = await Promise.all([vault.upload(twin, uploader), vault.upload(twin, uploader), vault.upload(twin, uploader)]);
      expect(new Set(racing.map((r) => r.attestation.logIndex)).size).toBe(1);
      expect(racing.filter((r) => r.created).length).toBe(1);
      expect((await store.treeState()).size).toBe(2);
    });

    it("acknowledges many parallel uploads, every one present, the log verifying from entry 0 and every checkpoint consistent", async () => {
      const bundles = await Promise.all(Array.from({ length: 80 }, (_, i) => signedProvenance(signer, 100 + i)));
      const results = await Promise.all(bundles.map((b) => vault.upload(b, uploader)));
      expect(results.every((r) => r.created)).toBe(true);
      expect(results.map((r) => r.attestation.logIndex).sort((a, b) => a - b)).toEqual(Array.from({ length: 80 }, (_, i) => i));
      const audit = await auditVaultLog(vault, trusted);
      expect(audit.size).toBe(80);
      expect(audit.logAudit).toMatchObject({ size: 80, consistent: true });
      expect(Buffer.from(audit.logAudit.rootHash)).toEqual(Buffer.from(audit.rootHash));
      expect(Buffer.from(audit.independentRoot).toString("hex")).toBe(Buffer.from(audit.rootHash).toString("hex"));
      expect(Buffer.from(audit.tileRoot).toString("hex")).toBe(Buffer.from(audit.rootHash).toString("hex"));
      for (const r of results) {
        const seen = verifyTlogEntries(r.attestation.bundle, trusted);
        expect(seen.logIndex).toBe(r.attestation.logIndex);
        expect(await vault.getByIndex(r.attestation.logIndex)).toEqual(r.attestation);
        // The checkpoint handed out with this upload is a prefix of today's log.
        const proof = await vault.inclusionProof({ logIndex: 0 }, seen.treeSize);
        const consistency = (await vault.consistencyProof(seen.treeSize, 80)).map((h) => Buffer.from(h, "hex"));
        expect(verifyConsistency(seen.treeSize, 80, Buffer.from(proof.rootHash, "hex"), audit.rootHash, consistency)).toBe(true);
      }
    });

    it("answers by digest with filters and cursor pages, and lists artifacts", async () => {
      const shared = "shared";
      for (let i = 0; i < 5; i++) {
        await vault.upload(await signedProvenance(signer, shared, { name: `build-${i}.tgz`, ref: `refs/heads/b${i}` }), uploader);
      }
      // Same subject in five different envelopes (different source refs).
      const all = await vault.findByDigest({ digest: `sha256:${artifactDigest(shared)}` });
      expect(all.items.length).toBe(5);
      const page1 = await vault.findByDigest({ digest: `sha256:${artifactDigest(shared)}`, limit: 2 });
      expect(page1.items.length).toBe(2);
      const page2 = await vault.findByDigest({ digest: `sha256:${artifactDigest(shared)}`, limit: 2, cursor: page1.nextCursor! });
      const page3 = await vault.findByDigest({ digest: `sha256:${artifactDigest(shared)}`, limit: 2, cursor: page2.nextCursor! });
      expect(page3.nextCursor).toBeUndefined();
      expect([...page1.items, ...page2.items, ...page3.items].map((a) => a.logIndex)).toEqual(all.items.map((a) => a.logIndex));
      expect((await vault.findByDigest({ digest: `sha256:${artifactDigest(shared)}`, repository: "https://github.com/acme/app" })).items.length).toBe(5);
      expect((await vault.findByDigest({ digest: `sha256:${artifactDigest(shared)}`, repository: "github.com/acme/other" })).items).toEqual([]);
      expect(
        (await vault.findByDigest({ digest: `sha256:${artifactDigest(shared)}`, predicateType: "https://in-toto.io/attestation/test-result/v0.1" })).items,
      ).toEqual([]);
      expect(await codeOf(vault.findByDigest({ digest: "sha256:xyz" }))).toBe("INVALID_DIGEST");
      expect(await codeOf(vault.findByDigest({ digest: `sha256:${artifactDigest(shared)}`, cursor: "not a cursor!" }))).toBe("USAGE");
      await vault.upload(await signedOtherPredicate(signer, shared), uploader);
      const artifacts = await vault.listArtifacts({});
      expect(artifacts.items).toEqual([
        {
          digest: `sha256:${artifactDigest(shared)}`,
          names: ["app-shared.tgz", "build-0.tgz", "build-1.tgz", "build-2.tgz", "build-3.tgz", "build-4.tgz"],
          firstSeen: "2026-03-01T12:00:00.000Z",
          lastSeen: "2026-03-01T12:00:00.000Z",
          attestationsByType: { "https://slsa.dev/provenance/v1": 5, "https://in-toto.io/attestation/test-result/v0.1": 1 },
          highestSlsaLevel: 2,
        },
      ]);
      expect((await vault.listArtifacts({ name: "build-3.tgz" })).items.length).toBe(1);
      expect((await vault.listArtifacts({ repository: "github.com/acme/none" })).items).toEqual([]);
    });

    it("serves inclusion proofs by index or leaf hash at any covering size, consistency proofs, tiles and entry bundles", async () => {
      const results = [];
      for (let i = 0; i < 3; i++) results.push(await vault.upload(await signedProvenance(signer, 200 + i), uploader));
      const byLeaf = await vault.inclusionProof({ leafHash: results[1]!.attestation.leafHash }, 2);
      expect(byLeaf).toMatchObject({ logIndex: 1, treeSize: 2 });
      expect(
        verifyInclusion(
          Buffer.from(results[1]!.attestation.leafHash, "hex"),
          1,
          2,
          byLeaf.hashes.map((h) => Buffer.from(h, "hex")),
          Buffer.from(byLeaf.rootHash, "hex"),
        ),
      ).toBe(true);
      expect(byLeaf.checkpoint).toContain(`${ORIGIN}\n2\n`);
      const latest = await vault.inclusionProof({ logIndex: 0 });
      expect(latest.treeSize).toBe(3);
      expect(latest.checkpoint).toBe(await vault.checkpoint());
      expect(await codeOf(vault.inclusionProof({ logIndex: 7 }))).toBe("NOT_FOUND");
      expect(await codeOf(vault.inclusionProof({ logIndex: 2 }, 2))).toBe("USAGE");
      expect(await codeOf(vault.consistencyProof(2, 9))).toBe("USAGE");
      expect((await vault.readTile(0, 0, 3))?.length).toBe(96);
      expect(await vault.readTile(0, 0, 4)).toBeUndefined();
      expect(await vault.readEntryBundle(0, 3)).toBeInstanceOf(Uint8Array);
      expect(await vault.readEntryBundle(0, 4)).toBeUndefined();
    });

    it("creates tokens shown once and stored as a hash, authenticates them, and keeps key and token writes to admins", async () => {
      const created = await vault.createToken({ project: "acme/app", scope: "upload", name: "ci" }, "cli");
      expect(created.token).toMatch(/^pvt_/);
      expect(await vault.authenticateToken(created.token)).toEqual({ kind: "token", subject: created.id, projects: ["acme/app"], scope: "upload" });
      expect(await vault.authenticateToken(`${created.token}x`)).toBeUndefined();
      const record = await store.tokenBySecretHash(createHash("sha256").update(created.token).digest("hex"));
      expect(record?.id).toBe(created.id);
      expect(JSON.stringify(record)).not.toContain(created.token);
      const audit = await store.auditLog({ limit: 100 });
      expect(audit.at(-1)).toMatchObject({ actor: "cli", action: "token.create" });
      expect(JSON.stringify(audit)).not.toContain(created.token);
      expect(await codeOf(vault.createToken({ project: "acme/app", scope: "admin" }, uploader))).toBe("FORBIDDEN");
      expect(await codeOf(vault.registerKey({ project: "acme/app", publicKeyPem: testSigner().publicKeyPem }, uploader))).toBe("FORBIDDEN");
      expect(await codeOf(vault.registerKey({ project: "acme/app", publicKeyPem: "not a key" }, admin))).toBe("KEY_UNREADABLE");
      expect(await codeOf(vault.createToken({ project: "acme/app", scope: "root" as "admin" }, "cli"))).toBe("USAGE");
    });

    it("lists tokens without secrets or hashes, and revokes one so that it stops working at once", async () => {
      const kept = await vault.createToken({ project: "acme/app", scope: "read", name: "dashboard" }, "cli");
      const revoked = await vault.createToken({ project: "acme/app", scope: "upload", name: "old ci" }, admin);
      const listed = await vault.listTokens(admin);
      expect(listed.map((t) => t.id)).toEqual(expect.arrayContaining([kept.id, revoked.id]));
      expect(listed.find((t) => t.id === revoked.id)).toMatchObject({ project: "acme/app", scope: "upload", name: "old ci" });
      expect(JSON.stringify(listed)).not.toMatch(/pvt_|secretHash/);
      expect(await codeOf(vault.listTokens(uploader))).toBe("FORBIDDEN");
      expect(await codeOf(vault.revokeToken(revoked.id, uploader))).toBe("FORBIDDEN");

      await vault.revokeToken(revoked.id, admin);
      expect(await vault.authenticateToken(revoked.token)).toBeUndefined();
      expect(await vault.authenticateToken(kept.token)).toMatchObject({ subject: kept.id });
      expect((await vault.listTokens("cli")).map((t) => t.id)).not.toContain(revoked.id);
      const audit = await store.auditLog({ limit: 1000 });
      expect(audit.at(-1)).toMatchObject({ actor: admin.subject, action: "token.revoke", target: revoked.id });
      expect(await codeOf(vault.revokeToken(revoked.id, admin))).toBe("NOT_FOUND");
      expect(await codeOf(vault.revokeToken("../etc", admin))).toBe("USAGE");
    });

    it("lets two vaults on one database append together, one integrator at a time, into one verifiable log", async () => {
      const second = await openOne(1);
      const bundles = await Promise.all(Array.from({ length: 40 }, (_, i) => signedProvenance(signer, 300 + i)));
      const results = await Promise.all(bundles.map((b, i) => (i % 2 === 0 ? vault : second.vault).upload(b, uploader)));
      expect(new Set(results.map((r) => r.attestation.logIndex)).size).toBe(40);
      const audit = await auditVaultLog(second.vault, trusted);
      expect(audit.size).toBe(40);
      expect(audit.logAudit).toMatchObject({ size: 40, consistent: true });
      expect(Buffer.from(audit.independentRoot)).toEqual(Buffer.from(audit.rootHash));
      expect(Buffer.from(audit.tileRoot)).toEqual(Buffer.from(audit.rootHash));
      for (const r of results) expect(verifyTlogEntries(r.attestation.bundle, trusted).logIndex).toBe(r.attestation.logIndex);
    });

    it("acknowledges what is pending when closed", async () => {
      const { vault: slow } = await openOne(50);
      const pending = slow.upload(await signedProvenance(signer, 400), uploader);
      await new Promise((resolve) => setImmediate(resolve));
      const closing = slow.close();
      const result = await pending;
      await closing;
      expect(result.created).toBe(true);
      expect((await vault.getByIndex(result.attestation.logIndex))?.leafHash).toBe(result.attestation.leafHash);
    });
  });
}
