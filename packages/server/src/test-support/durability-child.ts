/**
 * A vault under load, to be killed with SIGKILL by durability.test.ts. Opens
 * the store named by argv (sqlite:<path> or a postgres:// URL), then keeps
 * `CONCURRENCY` clients uploading distinct attestations forever, writing one
 * JSON line per acknowledged upload to stdout: its log index, leaf hash and
 * the checkpoint (size, root) the returned bundle carries.
 */
import { createPrivateKey, createPublicKey } from "node:crypto";
import { openPostgresStore } from "../store/postgres/postgres-store.js";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import { openVault } from "../vault/open-vault.js";
import { signedProvenance } from "./attestations.js";

const CONCURRENCY = 16;
const [target, origin, runId] = process.argv.slice(2) as [string, string, string];
const logKey = createPrivateKey(process.env.DURABILITY_LOG_KEY!);
const signerKey = createPrivateKey(process.env.DURABILITY_SIGNER_KEY!);
const signer = {
  privateKey: signerKey,
  publicKeyPem: createPublicKey(signerKey).export({ type: "spki", format: "pem" }) as string,
};

const store = target.startsWith("sqlite:")
  ? openSqliteStore({ path: target.slice("sqlite:".length) })
  : await openPostgresStore({ connectionString: target });
const vault = await openVault({ store, logKey, origin, clock: () => new Date("2026-03-01T12:00:00Z"), batchWindowMs: 2 });
const caller = { kind: "token" as const, subject: "tok_ci", projects: ["acme/app"], scope: "upload" as const };

let next = 0;
async function client() {
  for (;;) {
    const n = next++;
    const { attestation } = await vault.upload(await signedProvenance(signer, `${runId}-${n}`), caller);
    const proof = (attestation.bundle.verificationMaterial as { tlogEntries: { inclusionProof: { treeSize: string; rootHash: string } }[] })
      .tlogEntries[0]!.inclusionProof;
    process.stdout.write(
      `${JSON.stringify({ logIndex: attestation.logIndex, leafHash: attestation.leafHash, treeSize: Number(proof.treeSize), rootHash: proof.rootHash })}\n`,
    );
  }
}
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
await Promise.all(Array.from({ length: CONCURRENCY }, client));
