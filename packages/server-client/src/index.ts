export {
  attestationsByDigest,
  uploadDocument,
  vaultBaseUrl,
  vaultJson,
  vaultRequest,
  type VaultAttestation,
  type VaultClientOptions,
} from "./vault-client.js";
export { requestServiceProvenance } from "./service-client.js";
export { verifyWithServerPolicy, type ServerRuleOutcome, type ServerVerifyAnswer } from "./verify-client.js";
