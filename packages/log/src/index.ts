export { bytesEqual, emptyRoot, leafHash, nodeHash } from "./hash.js";
export {
  decodeEntryBundle,
  encodeEntryBundle,
  parseTilePath,
  TILE_HEIGHT,
  TILE_WIDTH,
  tilePath,
  type Tile,
  type TileReader,
} from "./tiles.js";
export { consistencyProof, inclusionProof, integrate, rootAt } from "./tree.js";
export { verifyConsistency, verifyInclusion } from "./proofs.js";
export {
  checkpointBody,
  noteKeyId,
  parseCheckpoint,
  signCheckpoint,
  verifyCheckpoint,
  type Checkpoint,
  type LogKey,
  type NoteSignature,
} from "./checkpoint.js";
export {
  DSSE_KIND,
  DSSE_VERSION,
  dsseEntryBody,
  TRUSTED_ROOT_MEDIA_TYPE,
  tlogEntry,
  trustedRoot,
  verifyTlogEntries,
  type TlogEntryInput,
} from "./tlog-entry.js";
export { auditLog, fingerprintRoot, type AuditFingerprint, type AuditInput, type AuditResult, type SeenCheckpoint } from "./audit.js";
