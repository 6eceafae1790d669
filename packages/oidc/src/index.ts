export {
  createKeyCache,
  discoverJwksUri,
  type KeyCache,
  requireJwksOrigin,
  requireSecureUrl,
  verifyIdToken,
  type TokenClaims,
  type VerifyTokenOptions,
} from "./verify-token.js";
