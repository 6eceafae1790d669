import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { type Envelope, isProvenantError, keySigner, signEnvelope, toBundle } from "@provenant/core";
import { bundleFromJSON } from "@sigstore/bundle";
import { PublicKeyDetails, TrustedRoot } from "@sigstore/protobuf-specs";
import { toSignedEntity, toTrustMaterial, Verifier } from "@sigstore/verify";
import { describe, expect, it } from "vitest";
import { type LogKey, signCheckpoint } from "./checkpoint.js";
import { leafHash } from "./hash.js";
import { MemoryTileStore } from "./testing.js";
import { dsseEntryBody, tlogEntry, trustedRoot, verifyTlogEntries } from "./tlog-entry.js";
import { inclusionProof, integrate } from "./tree.js";

const origin = "127.0.0.1:8443/log";
// The bundle as JSON, walked by the tampering cases below.
// biome-ignore lint/suspicious/noExplicitAny: test data reached by known paths
type Entry = Record<string, any>;
const baseUrl = `https://${origin}`;
const INTEGRATED_TIME = 1_764_806_400; // 2025-12-04T00:00:00Z, set by the test rather than read from a clock

/** A signed DSSE envelope (plain ECDSA key), logged at index 5 of a 9-entry log; returns the bundle with its tlog entry. */
async function loggedBundle(logKey: KeyObject) {
  const signer = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const statement = { _type: "https://in-toto.io/Statement/v1", subject: [{ name: "a", digest: { sha256: "ab".repeat(32) } }], predicateType: "https://slsa.dev/provenance/v1", predicate: {} };
  const envelope = await signEnvelope(new TextEncoder().encode(JSON.stringify(statement)), [keySigner(signer.privateKey)]);
  const pem = signer.publicKey.export({ type: "spki", format: "pem" }).toString();
  const body = dsseEntryBody(envelope, pem);
  const store = new MemoryTileStore();
  const others = (n: number) => Array.from({ length: n }, (_, i) => leafHash(Uint8Array.of(n, i)));
  let state = await integrate(0, others(5), store);
  store.write(state.tiles);
  state = await integrate(state.size, [leafHash(body), ...others(3)], store);
  store.write(state.tiles);
  const key: LogKey = { origin, privateKey: logKey };
  const checkpoint = signCheckpoint({ origin, size: state.size, rootHash: state.rootHash }, key);
  const proof = await inclusionProof(5, state.size, store);
  const entry = tlogEntry({ logIndex: 5, body, integratedTime: INTEGRATED_TIME, treeSize: state.size, rootHash: state.rootHash, proof, checkpoint, key });
  const bundle = toBundle(envelope);
  bundle.verificationMaterial.tlogEntries = [entry];
  return { bundle: JSON.parse(JSON.stringify(bundle)) as Entry, signer, envelope };
}

function sigstoreVerify(bundle: unknown, logPublic: KeyObject, signer: { publicKey: KeyObject }, envelope: Envelope) {
  const root = TrustedRoot.fromJSON(trustedRoot({ baseUrl, origin, publicKey: logPublic, validFrom: "2025-01-01T00:00:00Z" }));
  const hint = envelope.signatures[0]!.keyid!;
  const trust = toTrustMaterial(root, {
    [hint]: {
      rawBytes: signer.publicKey.export({ type: "spki", format: "der" }),
      keyDetails: PublicKeyDetails.PKIX_ECDSA_P256_SHA_256,
      validFor: { start: new Date(0), end: undefined },
    },
  });
  const verifier = new Verifier(trust, { tlogThreshold: 1, ctlogThreshold: 0, tsaThreshold: 0, timestampThreshold: 1 });
  return verifier.verify(toSignedEntity(bundleFromJSON(bundle)));
}

const logKeys = {
  ed25519: generateKeyPairSync("ed25519"),
  "ecdsa-p256": generateKeyPairSync("ec", { namedCurve: "P-256" }),
};

describe("Sigstore bundle tlog entries", () => {
  it("@sigstore/verify accepts the bundle: inclusion proof, checkpoint and signed entry timestamp (Ed25519 log key)", async () => {
    const log = logKeys.ed25519;
    const { bundle, signer, envelope } = await loggedBundle(log.privateKey);
    const entity = toSignedEntity(bundleFromJSON(bundle));
    // The timestamp the verifier used comes from this log's inclusion promise.
    expect(entity.timestamps).toEqual([expect.objectContaining({ $case: "transparency-log" })]);
    expect(() => sigstoreVerify(bundle, log.publicKey, signer, envelope)).not.toThrow();
    expect(verifyTlogEntries(bundle, { origin, publicKey: log.publicKey })).toEqual({ logIndex: 5, treeSize: 9, integratedTime: INTEGRATED_TIME });
  });

  it("both verifiers accept an ECDSA P-256 log key", async () => {
    const log = logKeys["ecdsa-p256"];
    const { bundle, signer, envelope } = await loggedBundle(log.privateKey);
    expect(() => sigstoreVerify(bundle, log.publicKey, signer, envelope)).not.toThrow();
    expect(verifyTlogEntries(bundle, { origin, publicKey: log.publicKey }).logIndex).toBe(5);
  });

  // Each row names the check of @sigstore/verify that must catch it (its VerificationError code).
  const tamperings: [string, string, (entry: Entry) => void][] = [
    ["a proof hash", "TLOG_INCLUSION_PROOF_ERROR", (e) => { const h = Buffer.from(e.inclusionProof.hashes[0], "base64"); h[0]! ^= 1; e.inclusionProof.hashes[0] = h.toString("base64"); }],
    ["the log index", "TLOG_INCLUSION_PROMISE_ERROR", (e) => { e.logIndex = "4"; e.inclusionProof.logIndex = "4"; }],
    ["the integrated time", "TLOG_INCLUSION_PROMISE_ERROR", (e) => { e.integratedTime = String(INTEGRATED_TIME + 60); }],
    ["the checkpoint size", "TLOG_INCLUSION_PROOF_ERROR", (e) => { e.inclusionProof.checkpoint.envelope = e.inclusionProof.checkpoint.envelope.replace("\n9\n", "\n10\n"); }],
    ["the signed entry timestamp", "TLOG_INCLUSION_PROMISE_ERROR", (e) => { const s = Buffer.from(e.inclusionPromise.signedEntryTimestamp, "base64"); s[s.length - 1]! ^= 1; e.inclusionPromise.signedEntryTimestamp = s.toString("base64"); }],
    ["the entry kind", "TLOG_BODY_ERROR", (e) => { e.kindVersion.kind = "intoto\u001b[2J"; }],
    ["the logged signature", "TLOG_INCLUSION_PROMISE_ERROR", (e) => { const body = JSON.parse(Buffer.from(e.canonicalizedBody, "base64").toString()); body.spec.signatures[0].signature = Buffer.alloc(64, 1).toString("base64"); e.canonicalizedBody = Buffer.from(JSON.stringify(body)).toString("base64"); }],
  ];
  for (const [what, sigstoreCode, tamper] of tamperings) {
    it(`both verifiers reject an entry whose ${what} was changed`, async () => {
      const log = logKeys.ed25519;
      const { bundle, signer, envelope } = await loggedBundle(log.privateKey);
      tamper(bundle.verificationMaterial.tlogEntries[0]);
      expect(() => sigstoreVerify(bundle, log.publicKey, signer, envelope)).toThrow(expect.objectContaining({ code: sigstoreCode }));
      let error: unknown;
      try {
        verifyTlogEntries(bundle, { origin, publicKey: log.publicKey });
      } catch (e) {
        error = e;
      }
      expect(isProvenantError(error) && ["TLOG_ENTRY_INVALID", "INCLUSION_PROOF_INVALID", "CHECKPOINT_INVALID"].includes(error.code)).toBe(true);
    });
  }

  it("rejects a bundle logged by another log key", async () => {
    const { bundle } = await loggedBundle(logKeys.ed25519.privateKey);
    expect(() => verifyTlogEntries(bundle, { origin, publicKey: generateKeyPairSync("ed25519").publicKey })).toThrow(
      expect.objectContaining({ code: "TLOG_ENTRY_INVALID" }),
    );
  });

  it("writes the Rekor dsse 0.0.1 body: payload hash, signature and base64 PEM verifier", async () => {
    const signer = generateKeyPairSync("ed25519");
    const envelope = await signEnvelope(new TextEncoder().encode("{}"), [keySigner(signer.privateKey)]);
    const pem = signer.publicKey.export({ type: "spki", format: "pem" }).toString();
    const body = JSON.parse(Buffer.from(dsseEntryBody(envelope, pem)).toString());
    expect(body).toEqual({
      apiVersion: "0.0.1",
      kind: "dsse",
      spec: {
        envelopeHash: { algorithm: "sha256", value: expect.stringMatching(/^[0-9a-f]{64}$/) },
        // SHA-256 of "{}".
        payloadHash: { algorithm: "sha256", value: "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a" },
        signatures: [{ signature: envelope.signatures[0]!.sig, verifier: Buffer.from(pem).toString("base64") }],
      },
    });
    // Canonical: keys sorted, no whitespace.
    expect(Buffer.from(dsseEntryBody(envelope, pem)).toString().startsWith('{"apiVersion":"0.0.1","kind":"dsse","spec":{"envelopeHash"')).toBe(true);
  });

  it("refuses a trusted root whose baseUrl does not contain the log origin", () => {
    expect(() => trustedRoot({ baseUrl: "https://elsewhere.example", origin, publicKey: logKeys.ed25519.publicKey, validFrom: "2025-01-01T00:00:00Z" })).toThrow(
      expect.objectContaining({ code: "USAGE" }),
    );
  });
});
