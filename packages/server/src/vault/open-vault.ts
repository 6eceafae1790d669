import { type KeyObject, createPublicKey, randomBytes } from "node:crypto";
import {
  ProvenantError,
  TRUSTED_ROOT_SERVICE_KEYS,
  keyIdOf,
  normalizeRepository,
  publicKeyFromPem,
  toBundle,
  trustedRootServiceKey,
} from "@provenant/core";
import {
  type LogKey,
  consistencyProof as logConsistencyProof,
  dsseEntryBody,
  encodeEntryBundle,
  inclusionProof as logInclusionProof,
  integrate,
  leafHash as logLeafHash,
  rootAt,
  signCheckpoint,
  tlogEntry,
  trustedRoot as logTrustedRoot,
} from "@provenant/log";
import type { AuditRecord, EntryRecord, KeyRecord, Store, TileRecord } from "../store/store.js";
import { batchInclusionProofs } from "./batch-proofs.js";
import { type IngestedDocument, ingest, ingestServiceSigned, sha256Hex } from "./ingest.js";
import type { ArtifactSummary, CallerIdentity, InclusionProofResult, StoredAttestation, UploadResult, Vault } from "./types.js";

export interface VaultOptions {
  store: Store;
  /** Signs checkpoints and inclusion promises: Ed25519 (default) or ECDSA P-256 private key. */
  logKey: KeyObject;
  /** The log's origin line, e.g. `vault.example.com/provenant`; it must lie inside the trusted root's baseUrl. */
  origin: string;
  /** The server's own signing key (signing service); its public key is trusted for every project as a service key. */
  signingKey?: KeyObject;
  /** The time source for integrated times and audit rows (tests pass a fixed clock). */
  clock: () => Date;
  /** How long pending uploads are collected before one integration appends them all. */
  batchWindowMs: number;
  /** The most entries one integration appends; more wait for the next. Default 1,000. */
  maxBatch?: number;
  /** TrustedRoot `validFor.start` of the log key; default the Unix epoch. */
  logKeyValidFrom?: string;
}

interface Pending {
  doc: IngestedDocument;
  body: Uint8Array;
  leafHash: string;
  caller: CallerIdentity;
  resolve(result: UploadResult): void;
  reject(error: unknown): void;
}

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;
const TILE_WIDTH = 256;
/** Uploads waiting beyond this are refused rather than queued without bound (the store is not keeping up). */
const MAX_PENDING = 20_000;

/**
 * The vault: validates uploads against registered keys, appends them to the
 * log in batches, and answers queries and proofs from one Store.
 *
 * Appending: uploads wait in `pending` for `batchWindowMs`; one integration
 * (under the store's integrator lock, so one replica at a time) computes the
 * new tiles and root with @provenant/log, signs the checkpoint, builds each
 * entry's bundle with its inclusion proof, and commits entries, digest index,
 * tiles, tree state and audit rows in ONE transaction. Only then are the
 * uploads acknowledged: a crash before commit loses nothing acknowledged.
 */
export async function openVault(options: VaultOptions): Promise<Vault> {
  const { store, clock, origin } = options;
  const logKey: LogKey = { origin, privateKey: options.logKey };
  const logPublicKey = createPublicKey(options.logKey);
  const maxBatch = options.maxBatch ?? 1_000;
  const serviceKeys: KeyRecord[] = [];
  if (options.signingKey) {
    const publicKey = createPublicKey(options.signingKey);
    serviceKeys.push({
      keyId: keyIdOf(publicKey),
      project: "*",
      publicKeyPem: publicKey.export({ type: "spki", format: "pem" }) as string,
      name: "server signing key",
      service: true,
      createdAt: new Date(0).toISOString(),
    });
  }
  // Parsing a PEM costs more than the signature check it serves: keep each registered key's KeyObject.
  const keyObjects = new Map<string, KeyObject>();
  const keyObjectOf = (pem: string) => {
    let key = keyObjects.get(pem);
    if (!key) {
      key = publicKeyFromPem(pem);
      if (keyObjects.size > 10_000) keyObjects.clear();
      keyObjects.set(pem, key);
    }
    return key;
  };
  const reader = { readTile: (level: number, index: number, width: number) => store.readTile(level, index, width) };

  const pending: Pending[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let integrating: Promise<void> | undefined;
  let closed = false;
  // Uploads still validating (before they join `pending`): close() waits for them too.
  const admitting = new Set<Promise<unknown>>();

  const schedule = () => {
    // After close() began, its own loop drains what is pending.
    if (closed || timer || integrating || pending.length === 0) return;
    timer = setTimeout(() => {
      timer = undefined;
      integrating = integrateBatch().finally(() => {
        integrating = undefined;
        schedule();
      });
    }, options.batchWindowMs);
  };

  const integrateBatch = async () => {
    const batch = pending.splice(0, maxBatch);
    if (batch.length === 0) return;
    const nowSeconds = Math.floor(clock().getTime() / 1000);
    // Filled inside the integration; read only after it committed.
    let known = new Map<string, EntryRecord>();
    let created = new Set<string>();
    try {
      await store.integrate(async (context) => {
        // A replica (or an earlier batch) may have logged some of these meanwhile.
        known = new Map(
          (await context.entriesByEnvelopeHash([...new Set(batch.map((p) => p.leafHash))])).map((e) => [e.envelopeHash, e]),
        );
        const fresh: Pending[] = [];
        const seen = new Set<string>();
        for (const p of batch) {
          if (known.has(p.leafHash) || seen.has(p.leafHash)) continue;
          seen.add(p.leafHash);
          fresh.push(p);
        }
        if (fresh.length === 0) return undefined;
        const from = context.tree.size;
        const appended = await integrate(
          from,
          fresh.map((p) => Buffer.from(p.leafHash, "hex")),
          { readTile: context.readTile },
        );
        // Proofs for the new entries read the tiles this integration made.
        const newTiles = new Map(appended.tiles.map((t) => [`${t.level}/${t.index}`, t]));
        const overlay = {
          readTile: async (level: number, index: number, width: number) => {
            const t = newTiles.get(`${level}/${index}`);
            if (t) return t.width >= width ? t.data.subarray(0, width * 32) : undefined;
            return context.readTile(level, index, width);
          },
        };
        const checkpoint = signCheckpoint({ origin, size: appended.size, rootHash: appended.rootHash }, logKey);
        const entries: EntryRecord[] = [];
        const audit: AuditRecord[] = [];
        const at = new Date(nowSeconds * 1000).toISOString();
        const proofs = await batchInclusionProofs(
          fresh.map((_, i) => from + i),
          appended.size,
          overlay,
        );
        for (const [i, p] of fresh.entries()) {
          const logIndex = from + i;
          const proof = proofs[i]!;
          const tlog = tlogEntry({
            logIndex,
            body: p.body,
            integratedTime: nowSeconds,
            treeSize: appended.size,
            rootHash: appended.rootHash,
            proof,
            checkpoint,
            key: logKey,
          });
          const bundle = {
            ...p.doc.bundle,
            verificationMaterial: { ...p.doc.bundle.verificationMaterial, tlogEntries: [tlog] },
          };
          entries.push({
            logIndex,
            leafHash: p.leafHash,
            envelopeHash: p.leafHash,
            body: p.body,
            bundleJson: JSON.stringify(bundle),
            subjects: p.doc.subjects,
            predicateType: p.doc.predicateType,
            signerKeyId: p.doc.signerKey.keyId,
            project: p.doc.signerKey.project === "*" ? (p.caller.projects[0] ?? "*") : p.doc.signerKey.project,
            ...(p.doc.source ? { sourceRepository: p.doc.source.repository } : {}),
            ...(p.doc.source?.ref ? { sourceRef: p.doc.source.ref } : {}),
            ...(p.doc.source?.commit ? { sourceCommit: p.doc.source.commit } : {}),
            ...(p.doc.builderId ? { builderId: p.doc.builderId } : {}),
            slsaLevel: p.doc.slsaLevel,
            uploadedBy: p.caller.subject,
            integratedTime: nowSeconds,
          });
          audit.push({
            actor: p.caller.subject,
            action: "attestation.upload",
            target: String(logIndex),
            ...(p.caller.from ? { from: p.caller.from } : {}),
            at,
          });
        }
        const tiles: TileRecord[] = appended.tiles.map((t) => ({ level: t.level, index: t.index, width: t.width, data: t.data }));
        for (const e of entries) known.set(e.envelopeHash, e);
        created = new Set(entries.map((e) => e.envelopeHash));
        return {
          write: { entries, tiles, tree: { size: appended.size, rootHash: appended.rootHash, checkpoint }, audit },
          result: undefined,
        };
      });
      const acknowledged = new Set<string>();
      for (const p of batch) {
        const entry = known.get(p.leafHash);
        if (!entry) {
          p.reject(new ProvenantError("IO_ERROR", "the upload was not found in the log after integration"));
          continue;
        }
        // The first waiter for a new entry created it; duplicates in the same batch did not.
        const isNew = created.has(p.leafHash) && !acknowledged.has(p.leafHash);
        acknowledged.add(p.leafHash);
        p.resolve({ attestation: toStored(entry), created: isNew });
      }
    } catch (cause) {
      const error =
        cause instanceof ProvenantError
          ? cause
          : new ProvenantError("SERVER_UNAVAILABLE", `the log could not be appended to: ${(cause as Error).message}`, { cause });
      for (const p of batch) p.reject(error);
    }
  };

  const requireScope = (caller: CallerIdentity | "cli", scopes: CallerIdentity["scope"][], what: string) => {
    if (caller === "cli") return;
    if (!scopes.includes(caller.scope)) {
      throw new ProvenantError("FORBIDDEN", `${what} needs a token of scope ${scopes.join(" or ")}; this one has scope ${caller.scope}`);
    }
  };
  const anyProject = (caller: CallerIdentity) => caller.projects.includes("*");

  const checkpointFor = async (size: number): Promise<{ rootHash: Uint8Array; checkpoint: string }> => {
    const tree = await store.treeState();
    if (size === tree.size && tree.checkpoint !== "") return { rootHash: tree.rootHash, checkpoint: tree.checkpoint };
    // An older size (or the empty tree): a checkpoint signed now states the same root the log had then.
    const rootHash = size === tree.size ? tree.rootHash : await rootAt(size, reader);
    return { rootHash, checkpoint: signCheckpoint({ origin, size, rootHash }, logKey) };
  };

  const vault: Vault = {
    async upload(document, caller) {
      if (closed) throw new ProvenantError("SERVER_UNAVAILABLE", "the vault is closing");
      return logWhenAdmitted(admit(document, caller), caller);
    },

    async uploadServiceSigned(signed, caller) {
      const serviceKey = serviceKeys[0];
      // Only the vault's own signing key takes the short path; anything else is verified as an upload.
      if (!serviceKey || signed.envelope.signatures.length !== 1 || signed.envelope.signatures[0]!.keyid !== serviceKey.keyId) {
        return vault.upload(toBundle(signed.envelope), caller);
      }
      if (closed) throw new ProvenantError("SERVER_UNAVAILABLE", "the vault is closing");
      requireScope(caller, ["upload", "admin"], "uploading an attestation");
      return logWhenAdmitted(admitIngested(ingestServiceSigned(signed, serviceKey)), caller);
    },

    async uploadAll(documents, caller) {
      if (closed) throw new ProvenantError("SERVER_UNAVAILABLE", "the vault is closing");
      const admissions = documents.map((document) => admit(document, caller));
      for (const admitted of admissions) admitting.add(admitted);
      let outcomes: PromiseSettledResult<Awaited<(typeof admissions)[number]>>[];
      try {
        outcomes = await Promise.allSettled(admissions);
      } finally {
        for (const admitted of admissions) admitting.delete(admitted);
      }
      // One refused document refuses the whole upload before anything is queued.
      const refused = outcomes.find((outcome) => outcome.status === "rejected");
      if (refused) throw (refused as PromiseRejectedResult).reason;
      const results = outcomes.map((outcome) => {
        const admitted = (outcome as PromiseFulfilledResult<Awaited<(typeof admissions)[number]>>).value;
        if ("attestation" in admitted) return Promise.resolve(admitted);
        return new Promise<UploadResult>((resolve, reject) => {
          pending.push({ ...admitted, caller, resolve, reject });
        });
      });
      schedule();
      return Promise.all(results);
    },

    async getByIndex(logIndex, projects) {
      if (!Number.isSafeInteger(logIndex) || logIndex < 0) return undefined;
      const entry = await store.entryByIndex(logIndex);
      // Another project's entry answers exactly as a missing one: its existence is not the caller's to learn.
      if (!entry || (projects !== undefined && !projects.includes(entry.project))) return undefined;
      return toStored(entry);
    },

    async findByDigest(query) {
      const digest = parseDigest(query.digest);
      const afterIndex = query.cursor === undefined ? undefined : Number(decodeCursor(query.cursor, /^\d+$/));
      const limit = pageLimit(query.limit);
      const rows = await store.entriesByDigest({
        digest,
        ...(query.predicateType !== undefined ? { predicateType: query.predicateType } : {}),
        ...(query.repository !== undefined ? { repository: normalizeRepository(query.repository) } : {}),
        ...(query.projects !== undefined ? { projects: query.projects } : {}),
        ...(afterIndex !== undefined ? { afterIndex } : {}),
        limit: limit + 1,
      });
      const items = rows.slice(0, limit).map(toStored);
      return rows.length > limit ? { items, nextCursor: encodeCursor(String(items.at(-1)!.logIndex)) } : { items };
    },

    async listArtifacts(query) {
      const afterDigest = query.cursor === undefined ? undefined : decodeCursor(query.cursor, /^[a-z0-9-]+:[0-9a-f]+$/);
      const limit = pageLimit(query.limit);
      const rows = await store.artifacts({
        ...(query.repository !== undefined ? { repository: normalizeRepository(query.repository) } : {}),
        ...(query.name !== undefined ? { name: query.name } : {}),
        ...(query.projects !== undefined ? { projects: query.projects } : {}),
        ...(afterDigest !== undefined ? { afterDigest } : {}),
        limit: limit + 1,
      });
      const items: ArtifactSummary[] = rows.slice(0, limit).map((a) => ({
        digest: a.digest,
        names: a.names,
        firstSeen: new Date(a.firstSeen * 1000).toISOString(),
        lastSeen: new Date(a.lastSeen * 1000).toISOString(),
        attestationsByType: a.attestationsByType,
        highestSlsaLevel: a.highestSlsaLevel,
      }));
      return rows.length > limit ? { items, nextCursor: encodeCursor(items.at(-1)!.digest) } : { items };
    },

    async checkpoint() {
      const tree = await store.treeState();
      return (await checkpointFor(tree.size)).checkpoint;
    },

    async inclusionProof(query, treeSize) {
      const entry =
        "logIndex" in query ? await store.entryByIndex(query.logIndex) : await store.entryByLeafHash(query.leafHash.toLowerCase());
      if (!entry) throw new ProvenantError("NOT_FOUND", `no log entry ${"logIndex" in query ? `at index ${query.logIndex}` : `with leaf hash ${query.leafHash}`}`);
      const tree = await store.treeState();
      const size = treeSize ?? tree.size;
      if (!Number.isSafeInteger(size) || size <= entry.logIndex || size > tree.size) {
        throw new ProvenantError("USAGE", `tree size ${size} does not contain entry ${entry.logIndex}; expected ${entry.logIndex + 1}..${tree.size}`);
      }
      const hashes = await logInclusionProof(entry.logIndex, size, reader);
      const { rootHash, checkpoint } = await checkpointFor(size);
      const result: InclusionProofResult = {
        logIndex: entry.logIndex,
        treeSize: size,
        rootHash: hex(rootHash),
        hashes: hashes.map(hex),
        checkpoint,
      };
      return result;
    },

    async consistencyProof(fromSize, toSize) {
      const tree = await store.treeState();
      if (!Number.isSafeInteger(fromSize) || !Number.isSafeInteger(toSize) || fromSize < 0 || fromSize > toSize || toSize > tree.size) {
        throw new ProvenantError("USAGE", `consistency proof from ${fromSize} to ${toSize}: expected 0 <= from <= to <= ${tree.size}`);
      }
      return (await logConsistencyProof(fromSize, toSize, reader)).map(hex);
    },

    readTile: (level, index, width = TILE_WIDTH) =>
      validTile(level, index, width) ? store.readTile(level, index, width) : Promise.resolve(undefined),

    async readEntryBundle(index, width = TILE_WIDTH) {
      if (!validTile(0, index, width)) return undefined;
      const bodies = await store.readEntryBodies(index * TILE_WIDTH, width);
      return bodies.length === width ? encodeEntryBundle(bodies) : undefined;
    },

    async registerKey(input, caller) {
      requireScope(caller, ["admin"], "registering a key");
      let publicKey: KeyObject;
      try {
        publicKey = publicKeyFromPem(input.publicKeyPem);
      } catch (cause) {
        if (cause instanceof ProvenantError) throw cause;
        throw new ProvenantError("KEY_UNREADABLE", "the key is not a PEM public key", { cause });
      }
      const project = requireProject(input.project);
      const keyId = keyIdOf(publicKey);
      await store.putKey(
        {
          keyId,
          project,
          publicKeyPem: publicKey.export({ type: "spki", format: "pem" }) as string,
          ...(input.name !== undefined ? { name: input.name } : {}),
          service: input.service ?? false,
          createdAt: clock().toISOString(),
        },
        auditOf(caller, input.service ? "key.register-service" : "key.register", `${project} ${keyId}`),
      );
      return { keyId };
    },

    async createToken(input, caller) {
      requireScope(caller, ["admin"], "creating a token");
      if (!["read", "upload", "admin"].includes(input.scope)) {
        throw new ProvenantError("USAGE", `token scope ${String(input.scope)}: expected read, upload or admin`);
      }
      // `*` reads (or administers) every project: a deploy gate or admission controller that checks
      // artifacts of many teams. Uploads always name one project, so an upload token is never `*`.
      if (input.project === "*" && input.scope === "upload") {
        throw new ProvenantError("USAGE", "project *: an upload token acts for one project (acme/app); `*` is for read and admin tokens");
      }
      const project = input.project === "*" ? "*" : requireProject(input.project);
      const id = `tok_${randomBytes(8).toString("hex")}`;
      // 256 random bits; only its SHA-256 is stored, so a database dump holds no usable token.
      const token = `pvt_${randomBytes(32).toString("base64url")}`;
      await store.putToken(
        {
          id,
          secretHash: sha256Hex(token),
          project,
          scope: input.scope,
          ...(input.name !== undefined ? { name: input.name } : {}),
          createdAt: clock().toISOString(),
        },
        auditOf(caller, "token.create", `${id} ${project} ${input.scope}`),
      );
      return { id, token };
    },

    async listTokens(caller) {
      requireScope(caller, ["admin"], "listing tokens");
      return (await store.listTokens()).map(({ secretHash: _hash, ...token }) => token);
    },

    async revokeToken(id, caller) {
      requireScope(caller, ["admin"], "revoking a token");
      if (typeof id !== "string" || !/^tok_[0-9a-f]{16}$/.test(id)) {
        throw new ProvenantError("USAGE", `token id ${String(id).slice(0, 40)}: expected tok_ and 16 hex characters`);
      }
      if (!(await store.deleteToken(id, auditOf(caller, "token.revoke", id)))) {
        throw new ProvenantError("NOT_FOUND", `no token ${id}`);
      }
    },

    async authenticateToken(secret) {
      if (typeof secret !== "string" || !secret.startsWith("pvt_") || secret.length > 200) return undefined;
      const record = await store.tokenBySecretHash(sha256Hex(secret));
      if (!record) return undefined;
      return { kind: "token", subject: record.id, projects: [record.project], scope: record.scope };
    },

    async recordAudit(entries, caller) {
      await store.appendAudit(entries.map((e) => auditOf(caller, e.action, e.target)));
    },

    rememberTokenId: (key, expiresAt, now) => store.rememberTokenId(key, expiresAt, now),
    pruneTokenIds: (now) => store.pruneTokenIds(now),

    logPublicKeyPem: () => logPublicKey.export({ type: "spki", format: "pem" }) as string,
    trustedRoot: (baseUrl) => {
      const validFrom = options.logKeyValidFrom ?? new Date(0).toISOString();
      const root = logTrustedRoot({ baseUrl, origin, publicKey: logPublicKey, validFrom });
      // The service-key marker: a verifier given this file knows which key's signatures mean "generated by the service".
      return options.signingKey
        ? { ...root, [TRUSTED_ROOT_SERVICE_KEYS]: [trustedRootServiceKey(createPublicKey(options.signingKey), validFrom)] }
        : root;
    },

    async close() {
      closed = true;
      // Acknowledge (or fail) what is already waiting before the store goes away.
      if (timer) {
        clearTimeout(timer);
        timer = undefined;
      }
      while (admitting.size > 0) await Promise.allSettled([...admitting]);
      while (integrating || pending.length > 0) {
        if (integrating) await integrating;
        else {
          integrating = integrateBatch().finally(() => {
            integrating = undefined;
          });
        }
      }
      await store.close();
    },
  };

  /** Waits for one admission (close() waits for it too), then for its entry to be logged: the stored one if it was before. */
  async function logWhenAdmitted(admitted: ReturnType<typeof admitIngested>, caller: CallerIdentity): Promise<UploadResult> {
    admitting.add(admitted);
    let outcome: Awaited<typeof admitted>;
    try {
      outcome = await admitted;
    } finally {
      admitting.delete(admitted);
    }
    if ("attestation" in outcome) return outcome;
    const waiting = outcome;
    return new Promise<UploadResult>((resolve, reject) => {
      pending.push({ ...waiting, caller, resolve, reject });
      schedule();
    });
  }

  /** Validates and deduplicates one upload; returns the stored entry when it was logged before. */
  async function admit(document: unknown, caller: CallerIdentity): Promise<UploadResult | Omit<Pending, "caller" | "resolve" | "reject">> {
    requireScope(caller, ["upload", "admin"], "uploading an attestation");
    const keys = await store.keysForProjects(anyProject(caller) ? "*" : caller.projects);
    return admitIngested(ingest(document, keys, serviceKeys, keyObjectOf));
  }

  async function admitIngested(doc: IngestedDocument): Promise<UploadResult | Omit<Pending, "caller" | "resolve" | "reject">> {
    const body = dsseEntryBody(doc.envelope, doc.signerKey.publicKeyPem);
    const leafHash = Buffer.from(logLeafHash(body)).toString("hex");
    const existing = await store.entryByEnvelopeHash(leafHash);
    if (existing) return { attestation: toStored(existing), created: false };
    if (pending.length >= MAX_PENDING) {
      throw new ProvenantError("SERVER_UNAVAILABLE", `${pending.length} uploads are waiting to be logged; retry shortly`);
    }
    return { doc, body, leafHash };
  }

  function auditOf(caller: CallerIdentity | "cli", action: string, target: string): AuditRecord {
    return {
      actor: caller === "cli" ? "cli" : caller.subject,
      action,
      target,
      ...(caller !== "cli" && caller.from ? { from: caller.from } : {}),
      at: clock().toISOString(),
    };
  }
  return vault;
}

function toStored(entry: EntryRecord): StoredAttestation {
  return {
    logIndex: entry.logIndex,
    leafHash: entry.leafHash,
    bundle: JSON.parse(entry.bundleJson),
    subjects: groupSubjects(entry),
    predicateType: entry.predicateType,
    signerKeyId: entry.signerKeyId,
    project: entry.project,
    ...(entry.sourceRepository
      ? {
          source: {
            repository: entry.sourceRepository,
            ...(entry.sourceRef ? { ref: entry.sourceRef } : {}),
            ...(entry.sourceCommit ? { commit: entry.sourceCommit } : {}),
          },
        }
      : {}),
    ...(entry.builderId ? { builderId: entry.builderId } : {}),
    slsaLevel: entry.slsaLevel,
    uploadedBy: entry.uploadedBy,
    integratedTime: new Date(entry.integratedTime * 1000).toISOString(),
  };
}

/** The index stores one row per (name, algorithm); the API shows one subject per name with its digest set. */
function groupSubjects(entry: EntryRecord): StoredAttestation["subjects"] {
  const byName = new Map<string, Record<string, string>>();
  for (const s of entry.subjects) {
    const colon = s.digest.indexOf(":");
    const digest = byName.get(s.name) ?? {};
    digest[s.digest.slice(0, colon)] = s.digest.slice(colon + 1);
    byName.set(s.name, digest);
  }
  return [...byName].map(([name, digest]) => ({ name, digest }));
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

function parseDigest(digest: string): string {
  const match = /^([a-z0-9-]{1,32}):([0-9a-fA-F]{32,128})$/.exec(digest ?? "");
  if (!match) throw new ProvenantError("INVALID_DIGEST", `digest "${String(digest).slice(0, 80)}": expected <algorithm>:<hex>, e.g. sha256:…`);
  return `${match[1]}:${match[2]!.toLowerCase()}`;
}

function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new ProvenantError("USAGE", `limit ${limit}: expected 1..${MAX_LIMIT}`);
  return Math.min(limit, MAX_LIMIT);
}

function encodeCursor(value: string): string {
  return Buffer.from(value, "utf8").toString("base64url");
}

function decodeCursor(cursor: string, shape: RegExp): string {
  const value = /^[A-Za-z0-9_-]{1,400}$/.test(cursor) ? Buffer.from(cursor, "base64url").toString("utf8") : "";
  if (!shape.test(value)) throw new ProvenantError("USAGE", "cursor: not a cursor this API returned; pass nextCursor unchanged");
  return value;
}

function requireProject(project: string): string {
  if (typeof project !== "string" || !/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(project) || project.length > 200) {
    throw new ProvenantError("USAGE", `project "${String(project).slice(0, 80)}": expected a repository path like acme/app`);
  }
  return project;
}

function validTile(level: number, index: number, width: number): boolean {
  return (
    Number.isSafeInteger(level) && level >= 0 && level < 64 && Number.isSafeInteger(index) && index >= 0 && Number.isSafeInteger(width) && width >= 1 && width <= TILE_WIDTH
  );
}
