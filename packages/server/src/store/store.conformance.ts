import { createHash } from "node:crypto";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { EMPTY_ROOT_HEX, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS } from "./migrations.js";
import type { AuditRecord, EntryRecord, IntegrationWrite, Store, TileRecord } from "./store.js";

/**
 * The one behaviour every Store backend must have. Each backend's test file
 * calls this with a factory that opens a fresh, empty store; `reopen` opens
 * the same database again (a restart, or a second replica).
 */
export interface ConformanceTarget {
  backend: "sqlite" | "postgres";
  fresh(): Promise<{ store: Store; reopen(): Promise<Store>; recordSchemaVersion(version: number): Promise<void> }>;
}

const hex = (text: string) => createHash("sha256").update(text).digest("hex");
const at = (s: number) => new Date(s * 1000).toISOString();

function entry(logIndex: number, over: Partial<EntryRecord> = {}): EntryRecord {
  return {
    logIndex,
    leafHash: hex(`leaf ${logIndex}`),
    envelopeHash: hex(`envelope ${logIndex}`),
    body: new TextEncoder().encode(`body ${logIndex}`),
    bundleJson: JSON.stringify({ n: logIndex }),
    subjects: [{ name: `app-${logIndex}.tgz`, digest: `sha256:${hex(`artifact ${logIndex}`)}` }],
    predicateType: "https://slsa.dev/provenance/v1",
    signerKeyId: "k1",
    project: "acme/app",
    sourceRepository: "github.com/acme/app",
    sourceRef: "refs/heads/main",
    sourceCommit: "a".repeat(40),
    builderId: "https://github.com/actions/runner",
    slsaLevel: 2,
    uploadedBy: "token-1",
    integratedTime: 1_700_000_000 + logIndex,
    ...over,
  };
}

const audit = (target: string): AuditRecord => ({
  actor: "token-1",
  action: "upload",
  target,
  from: "127.0.0.1",
  at: at(1_700_000_000),
});

/** A write appending `entries` at the current size, with a made-up root (the store does not check hashes). */
function appendWrite(size: number, entries: EntryRecord[], tiles: TileRecord[] = []): IntegrationWrite {
  const newSize = size + entries.length;
  return {
    entries,
    tiles,
    tree: { size: newSize, rootHash: createHash("sha256").update(`root ${newSize}`).digest(), checkpoint: `checkpoint ${newSize}\n` },
    audit: entries.map((e) => audit(String(e.logIndex))),
  };
}

async function append(store: Store, make: (size: number) => EntryRecord[]): Promise<number> {
  const result = await store.integrate(async (context) => {
    const entries = make(context.tree.size);
    return { write: appendWrite(context.tree.size, entries), result: context.tree.size };
  });
  return result!;
}

export function storeConformance(target: ConformanceTarget): void {
  describe(`Store conformance: ${target.backend}`, () => {
    let store: Store;
    let reopen: () => Promise<Store>;
    let recordSchemaVersion: (version: number) => Promise<void>;
    const opened: Store[] = [];
    beforeEach(async () => {
      const fresh = await target.fresh();
      store = fresh.store;
      recordSchemaVersion = fresh.recordSchemaVersion;
      opened.push(store);
      reopen = async () => {
        const again = await fresh.reopen();
        opened.push(again);
        return again;
      };
    });
    afterAll(async () => {
      for (const s of opened) await s.close().catch(() => undefined);
    });

    it("opens at the newest schema version with an empty tree, and a reopen keeps the data without migrating again", async () => {
      const latest = (target.backend === "sqlite" ? SQLITE_MIGRATIONS : POSTGRES_MIGRATIONS).at(-1)!.version;
      expect(store.schemaVersion).toBe(latest);
      const tree = await store.treeState();
      expect(tree.size).toBe(0);
      expect(Buffer.from(tree.rootHash).toString("hex")).toBe(EMPTY_ROOT_HEX);
      await append(store, (size) => [entry(size)]);
      const again = await reopen();
      expect(again.schemaVersion).toBe(latest);
      expect((await again.treeState()).size).toBe(1);
      expect((await again.entryByIndex(0))?.leafHash).toBe(hex("leaf 0"));
    });

    it("refuses to open a database whose schema is newer than this server knows", async () => {
      const latest = (target.backend === "sqlite" ? SQLITE_MIGRATIONS : POSTGRES_MIGRATIONS).at(-1)!.version;
      await recordSchemaVersion(latest + 1);
      await expect(reopen()).rejects.toMatchObject({ code: "USAGE", message: expect.stringContaining(`schema version ${latest + 1}`) });
    });

    it("commits entries, digest index, tiles, tree state and audit together and reads them back every way", async () => {
      const tile = { level: 0, index: 0, width: 2, data: new Uint8Array(64).fill(7) };
      await store.integrate(async (context) => ({
        write: appendWrite(context.tree.size, [entry(0), entry(1, { sourceRef: undefined, builderId: undefined })], [tile]),
        result: undefined,
      }));
      const tree = await store.treeState();
      expect(tree.size).toBe(2);
      expect(tree.checkpoint).toBe("checkpoint 2\n");
      const first = await store.entryByIndex(0);
      expect(first).toEqual(entry(0));
      const second = await store.entryByLeafHash(hex("leaf 1"));
      expect(second?.logIndex).toBe(1);
      expect(second?.sourceRef).toBeUndefined();
      expect(second?.builderId).toBeUndefined();
      expect((await store.entryByEnvelopeHash(hex("envelope 1")))?.logIndex).toBe(1);
      expect(await store.entryByIndex(2)).toBeUndefined();
      expect(await store.entryByLeafHash(hex("nothing"))).toBeUndefined();
      const bodies = await store.readEntryBodies(0, 256);
      expect(bodies.map((b) => new TextDecoder().decode(b))).toEqual(["body 0", "body 1"]);
      expect(await store.readTile(0, 0, 2)).toEqual(tile.data);
      const log = await store.auditLog({ limit: 10 });
      expect(log.map((a) => [a.action, a.target, a.from])).toEqual([
        ["upload", "0", "127.0.0.1"],
        ["upload", "1", "127.0.0.1"],
      ]);
    });

    it("writes nothing when the integration fails part-way (duplicate envelope) or its work throws", async () => {
      await append(store, (size) => [entry(size)]);
      await expect(
        store.integrate(async (context) => ({
          write: appendWrite(context.tree.size, [entry(1, { envelopeHash: hex("other") }), entry(2, { envelopeHash: hex("envelope 0") })], [
            { level: 0, index: 0, width: 3, data: new Uint8Array(96) },
          ]),
          result: undefined,
        })),
      ).rejects.toThrow();
      await expect(
        store.integrate(async () => {
          throw new Error("signing failed");
        }),
      ).rejects.toThrow("signing failed");
      expect(await store.integrate(async () => undefined)).toBeUndefined();
      expect((await store.treeState()).size).toBe(1);
      expect(await store.entryByIndex(1)).toBeUndefined();
      expect(await store.readTile(0, 0, 3)).toBeUndefined();
      expect(await store.entriesByDigest({ digest: `sha256:${hex("artifact 1")}`, limit: 10 })).toEqual([]);
      expect((await store.auditLog({ limit: 10 })).length).toBe(1);
      // The store still works after the failed transactions.
      await append(store, (size) => [entry(size)]);
      expect((await store.treeState()).size).toBe(2);
    });

    it("serves a tile at any width up to the stored one and grows it in place", async () => {
      const data = Uint8Array.from({ length: 5 * 32 }, (_, i) => i % 251);
      await store.integrate(async (context) => ({
        write: appendWrite(context.tree.size, [], [{ level: 1, index: 3, width: 2, data: data.subarray(0, 64) }]),
        result: undefined,
      }));
      await store.integrate(async (context) => ({
        write: appendWrite(context.tree.size, [], [{ level: 1, index: 3, width: 5, data }]),
        result: undefined,
      }));
      expect(await store.readTile(1, 3, 5)).toEqual(data);
      expect(await store.readTile(1, 3, 2)).toEqual(data.subarray(0, 64));
      expect(await store.readTile(1, 3, 6)).toBeUndefined();
      expect(await store.readTile(1, 4, 1)).toBeUndefined();
      expect(await store.readTile(0, 3, 1)).toBeUndefined();
    });

    it("answers by digest with filters and cursor pagination in log order", async () => {
      const shared = `sha256:${hex("shared")}`;
      await append(store, (size) =>
        Array.from({ length: 7 }, (_, i) =>
          entry(size + i, {
            subjects: [
              { name: "shared.tgz", digest: shared },
              { name: `own-${i}`, digest: `sha256:${hex(`own ${i}`)}` },
            ],
            predicateType: i % 2 === 0 ? "https://slsa.dev/provenance/v1" : "https://example.com/test/v1",
            sourceRepository: i < 5 ? "github.com/acme/app" : "gitlab.example/acme/lib",
          }),
        ),
      );
      const all = await store.entriesByDigest({ digest: shared, limit: 100 });
      expect(all.map((e) => e.logIndex)).toEqual([0, 1, 2, 3, 4, 5, 6]);
      expect(all[0]!.subjects).toEqual([
        { name: "own-0", digest: `sha256:${hex("own 0")}` },
        { name: "shared.tgz", digest: shared },
      ]);
      const page1 = await store.entriesByDigest({ digest: shared, limit: 3 });
      const page2 = await store.entriesByDigest({ digest: shared, limit: 3, afterIndex: page1.at(-1)!.logIndex });
      const page3 = await store.entriesByDigest({ digest: shared, limit: 3, afterIndex: page2.at(-1)!.logIndex });
      expect([...page1, ...page2, ...page3].map((e) => e.logIndex)).toEqual([0, 1, 2, 3, 4, 5, 6]);
      const slsa = await store.entriesByDigest({ digest: shared, predicateType: "https://slsa.dev/provenance/v1", limit: 100 });
      expect(slsa.map((e) => e.logIndex)).toEqual([0, 2, 4, 6]);
      const lib = await store.entriesByDigest({ digest: shared, repository: "gitlab.example/acme/lib", limit: 100 });
      expect(lib.map((e) => e.logIndex)).toEqual([5, 6]);
      expect((await store.entriesByDigest({ digest: `sha256:${hex("own 3")}`, limit: 100 })).map((e) => e.logIndex)).toEqual([3]);
      expect(await store.entriesByDigest({ digest: `sha256:${hex("absent")}`, limit: 100 })).toEqual([]);
    });

    it("reads only the projects asked for: entries by digest and artifacts, names and counts included", async () => {
      const shared = `sha256:${hex("scoped")}`;
      const other = `sha256:${hex("other project only")}`;
      await append(store, (size) => [
        entry(size, { subjects: [{ name: "app.tgz", digest: shared }], project: "acme/app", slsaLevel: 1 }),
        entry(size + 1, {
          subjects: [
            { name: "secret-name.tgz", digest: shared },
            { name: "lib.tgz", digest: other },
          ],
          project: "acme/secret",
          slsaLevel: 3,
        }),
      ]);
      const mine = await store.entriesByDigest({ digest: shared, projects: ["acme/app"], limit: 100 });
      expect(mine.map((e) => e.project)).toEqual(["acme/app"]);
      expect((await store.entriesByDigest({ digest: shared, projects: ["acme/app", "acme/secret"], limit: 100 })).length).toBe(2);
      expect(await store.entriesByDigest({ digest: shared, projects: [], limit: 100 })).toEqual([]);
      const artifacts = await store.artifacts({ projects: ["acme/app"], limit: 10 });
      expect(artifacts.map((a) => a.digest)).toEqual([shared]);
      expect(artifacts[0]).toMatchObject({ names: ["app.tgz"], highestSlsaLevel: 1, attestationsByType: { "https://slsa.dev/provenance/v1": 1 } });
      expect((await store.artifacts({ projects: ["acme/secret"], limit: 10 })).map((a) => a.digest).sort()).toEqual([shared, other].sort());
    });

    it("lists artifacts with names, first and last seen, counts by type and highest level, filtered and paged by digest", async () => {
      const a = `sha256:${"a".repeat(64)}`;
      const b = `sha256:${"b".repeat(64)}`;
      const c = `sha256:${"c".repeat(64)}`;
      await append(store, (size) => [
        entry(size, { subjects: [{ name: "app.tgz", digest: a }], integratedTime: 100, slsaLevel: 1 }),
        entry(size + 1, {
          subjects: [
            { name: "app-renamed.tgz", digest: a },
            { name: "lib.tgz", digest: b },
          ],
          integratedTime: 200,
          slsaLevel: 2,
          predicateType: "https://example.com/test/v1",
        }),
        entry(size + 2, {
          subjects: [{ name: "other", digest: c }],
          integratedTime: 300,
          sourceRepository: "gitlab.example/acme/lib",
        }),
      ]);
      const list = await store.artifacts({ limit: 10 });
      expect(list.map((x) => x.digest)).toEqual([a, b, c]);
      expect(list[0]).toEqual({
        digest: a,
        names: ["app-renamed.tgz", "app.tgz"],
        firstSeen: 100,
        lastSeen: 200,
        attestationsByType: { "https://slsa.dev/provenance/v1": 1, "https://example.com/test/v1": 1 },
        highestSlsaLevel: 2,
      });
      const page = await store.artifacts({ limit: 2 });
      const rest = await store.artifacts({ limit: 2, afterDigest: page.at(-1)!.digest });
      expect([...page, ...rest].map((x) => x.digest)).toEqual([a, b, c]);
      expect((await store.artifacts({ repository: "gitlab.example/acme/lib", limit: 10 })).map((x) => x.digest)).toEqual([c]);
      expect((await store.artifacts({ name: "app.tgz", limit: 10 })).map((x) => x.digest)).toEqual([a]);
      expect(await store.artifacts({ name: "nothing", limit: 10 })).toEqual([]);
    });

    it("keeps keys per project and tokens by secret hash, auditing each write", async () => {
      await store.putKey(
        { keyId: "k1", project: "acme/app", publicKeyPem: "PEM1", name: "ci", service: false, createdAt: at(1) },
        { ...audit("k1"), action: "key.register" },
      );
      await store.putKey(
        { keyId: "k2", project: "acme/lib", publicKeyPem: "PEM2", service: true, createdAt: at(2) },
        { ...audit("k2"), action: "key.register" },
      );
      expect((await store.keysForProjects(["acme/app"])).map((k) => [k.keyId, k.name, k.service])).toEqual([["k1", "ci", false]]);
      expect((await store.keysForProjects("*")).map((k) => k.keyId)).toEqual(["k1", "k2"]);
      expect(await store.keysForProjects(["nobody/else"])).toEqual([]);
      expect(await store.keysForProjects([])).toEqual([]);
      await store.putToken(
        { id: "t1", secretHash: hex("secret"), project: "acme/app", scope: "upload", createdAt: at(3) },
        { ...audit("t1"), action: "token.create" },
      );
      expect(await store.tokenBySecretHash(hex("secret"))).toEqual({
        id: "t1",
        secretHash: hex("secret"),
        project: "acme/app",
        scope: "upload",
        createdAt: at(3),
      });
      expect(await store.tokenBySecretHash(hex("wrong"))).toBeUndefined();
      await expect(
        store.putToken({ id: "t1", secretHash: hex("again"), project: "x", scope: "read", createdAt: at(4) }, audit("t1")),
      ).rejects.toThrow();
      const log = await store.auditLog({ limit: 10 });
      expect(log.map((a) => a.action)).toEqual(["key.register", "key.register", "token.create"]);
      expect((await store.auditLog({ afterId: log[1]!.id, limit: 10 })).map((a) => a.target)).toEqual(["t1"]);
    });

    it("remembers a token id once until it expires, across two stores racing on one database, and prunes expired ids", async () => {
      const second = await reopen();
      const key = hex("issuer\njti-1");
      // Many racers on both stores at once: exactly one records the id.
      const racers = await Promise.all(Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? store : second).rememberTokenId(key, 1_000, 500)));
      expect(racers.filter(Boolean)).toHaveLength(1);
      expect(await store.rememberTokenId(key, 1_000, 999)).toBe(false);
      // Expired at `now`: the id may be used again (a new token with a reused jti), once.
      expect(await second.rememberTokenId(key, 2_000, 1_001)).toBe(true);
      expect(await store.rememberTokenId(key, 2_000, 1_002)).toBe(false);
      expect(await store.rememberTokenId(hex("other"), 1_500, 1_002)).toBe(true);
      expect(await store.pruneTokenIds(1_600)).toBe(1);
      expect(await store.pruneTokenIds(1_600)).toBe(0);
      expect(await second.rememberTokenId(key, 3_000, 1_700)).toBe(false);
      // Replay rows are not audit rows and not log entries.
      expect(await store.auditLog({ limit: 10 })).toEqual([]);
      expect((await store.treeState()).size).toBe(0);
    });

    it("appends audit rows that go with no other write", async () => {
      await store.appendAudit([
        { ...audit("release sha256:aa sha256:bb allowed"), action: "policy.verify" },
        { ...audit("release sha256:aa sha256:cc denied"), action: "policy.verify", from: undefined },
      ]);
      await store.appendAudit([]);
      const log = await store.auditLog({ limit: 10 });
      expect(log.map((a) => [a.action, a.target, a.from])).toEqual([
        ["policy.verify", "release sha256:aa sha256:bb allowed", "127.0.0.1"],
        ["policy.verify", "release sha256:aa sha256:cc denied", undefined],
      ]);
    });

    it("serializes concurrent integrations, also from a second store on the same database", async () => {
      const second = await reopen();
      const runs = Array.from({ length: 24 }, (_, i) => append(i % 2 === 0 ? store : second, (size) => [entry(size, {
        leafHash: hex(`leaf run ${i}`),
        envelopeHash: hex(`envelope run ${i}`),
      })]));
      const positions = await Promise.all(runs);
      expect([...positions].sort((x, y) => x - y)).toEqual(Array.from({ length: 24 }, (_, i) => i));
      expect((await store.treeState()).size).toBe(24);
      expect((await second.treeState()).checkpoint).toBe("checkpoint 24\n");
      const found = await Promise.all(Array.from({ length: 24 }, (_, i) => store.entryByEnvelopeHash(hex(`envelope run ${i}`))));
      expect(found.every((e) => e !== undefined)).toBe(true);
    });
  });
}
