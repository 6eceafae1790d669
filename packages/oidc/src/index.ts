export { discoverJwksUri, verifyIdToken, type TokenClaims, type VerifyTokenOptions } from "./verify-token.js";
