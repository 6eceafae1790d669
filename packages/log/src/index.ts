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
