export { discoverJwksUri, requireJwksOrigin, requireSecureUrl, verifyIdToken, type TokenClaims, type VerifyTokenOptions } from "./verify-token.js";
