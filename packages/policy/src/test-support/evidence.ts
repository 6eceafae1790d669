import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { BUILD_TYPES, FACTS_SOURCE_FIELD, keySigner, signEnvelope, toBundle } from "@provenant/core";

/** Shared by this package's tests only (not exported from index.ts). */
export function ecKeys(): { privateKey: KeyObject; publicKey: KeyObject; pem: string } {
  const pair = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { ...pair, pem: pair.publicKey.export({ type: "spki", format: "pem" }).toString() };
}

export const SHA_APP = "a".repeat(64);
export const SHA_OTHER = "b".repeat(64);
export const COMMIT = "0123456789abcdef0123456789abcdef01234567";

export interface ProvenanceShape {
  repository?: string;
  ref?: string;
  factsSource?: string;
  startedOn?: string;
  builderId?: string;
}

/** Provenance shaped like a GitLab CI job's (the source convention of DESIGN.md): hosted platform, token-verified facts. */
export function provenance(shape: ProvenanceShape = {}) {
  const repository = shape.repository ?? "gitlab.example.com/acme/app";
  const ref = shape.ref ?? "refs/tags/v1.4.0";
  return {
    buildType: BUILD_TYPES.gitlab,
    externalParameters: { project: repository.split("/").slice(1).join("/"), ref },
    resolvedDependencies: [{ uri: `git+https://${repository}@${ref}`, digest: { gitCommit: COMMIT } }],
    builder: { id: shape.builderId ?? "https://gitlab.example.com/acme/app/-/runners/hosted" },
    metadata: {
      invocationId: `https://${repository}/-/jobs/7`,
      startedOn: shape.startedOn ?? "2026-12-01T10:00:00Z",
      [FACTS_SOURCE_FIELD]: shape.factsSource ?? "oidc-token",
    },
  };
}

/** Signs an in-toto statement as a Sigstore bundle with the given key. */
export async function signedStatement(
  privateKey: KeyObject,
  predicateType: string,
  predicate: unknown,
  subjects: { name: string; sha256: string }[] = [{ name: "dist/app-1.4.0.tgz", sha256: SHA_APP }],
) {
  const statement = {
    _type: "https://in-toto.io/Statement/v1",
    subject: subjects.map((s) => ({ name: s.name, digest: { sha256: s.sha256 } })),
    predicateType,
    predicate,
  };
  const envelope = await signEnvelope(Buffer.from(JSON.stringify(statement)), [keySigner(privateKey)]);
  return toBundle(envelope);
}

export async function signedProvenance(privateKey: KeyObject, shape: ProvenanceShape = {}, sha256 = SHA_APP) {
  const p = provenance(shape);
  return signedStatement(
    privateKey,
    "https://slsa.dev/provenance/v1",
    {
      buildDefinition: {
        buildType: p.buildType,
        externalParameters: p.externalParameters,
        resolvedDependencies: p.resolvedDependencies,
      },
      runDetails: { builder: p.builder, metadata: p.metadata },
    },
    [{ name: "dist/app-1.4.0.tgz", sha256 }],
  );
}

export const TEST_RESULT_V01 = "https://in-toto.io/attestation/test-result/v0.1";
export const VULNS_V02 = "https://in-toto.io/attestation/vulns/v0.2";

/**
 * Puts a bundle into a small vault log (the real @provenant/log tree,
 * checkpoint and tlog entry code) and returns the bundle carrying its entry,
 * as the vault hands it back after an upload.
 */
export async function loggedBundle(
  bundle: ReturnType<typeof toBundle>,
  signerPem: string,
  logKey: KeyObject,
  origin = "127.0.0.1:8443/log",
): Promise<ReturnType<typeof toBundle>> {
  const { dsseEntryBody, integrate, inclusionProof, leafHash, signCheckpoint, tlogEntry } = await import("@provenant/log");
  const { MemoryTileStore } = await import("@provenant/log/testing");
  const body = dsseEntryBody(bundle.dsseEnvelope!, signerPem);
  const store = new MemoryTileStore();
  const others = Array.from({ length: 3 }, (_, i) => leafHash(Uint8Array.of(9, i)));
  const state = await integrate(0, [...others, leafHash(body)], store);
  store.write(state.tiles);
  const key = { origin, privateKey: logKey };
  const checkpoint = signCheckpoint({ origin, size: state.size, rootHash: state.rootHash }, key);
  const proof = await inclusionProof(3, state.size, store);
  // The integrated time is fixed by the test, not read from a clock.
  const entry = tlogEntry({ logIndex: 3, body, integratedTime: 1_764_806_400, treeSize: state.size, rootHash: state.rootHash, proof, checkpoint, key });
  const copy = JSON.parse(JSON.stringify(bundle)) as ReturnType<typeof toBundle>;
  copy.verificationMaterial.tlogEntries = [entry as never];
  return copy;
}
