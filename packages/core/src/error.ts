/**
 * The one error type of Provenant. Callers branch on `code`, never on the
 * message text; adapters map codes to their platform's way of failing.
 */
export type ErrorCode =
  // input that cannot be read as what it claims to be
  | "MALFORMED_JSON"
  // input past a size, depth or count cap (issue 12 §4)
  | "JSON_TOO_DEEP"
  | "INPUT_TOO_LARGE"
  | "MALFORMED_BUNDLE"
  | "MALFORMED_ENVELOPE"
  | "WRONG_PAYLOAD_TYPE"
  | "INVALID_BASE64"
  | "MALFORMED_STATEMENT"
  | "UNKNOWN_PREDICATE_TYPE"
  | "MALFORMED_PROVENANCE"
  | "PROVENANCE_FIELD_CASE"
  | "EMPTY_SUBJECTS"
  | "INVALID_DIGEST"
  // signatures and trust
  | "SIGNATURE_INVALID"
  | "UNTRUSTED_KEY"
  | "SIGNATURE_THRESHOLD"
  | "SUBJECT_MISMATCH"
  // an artifact verify was asked about holds something it cannot check
  | "UNVERIFIABLE_ARTIFACT"
  | "POLICY_DENIED"
  | "INVALID_POLICY"
  // a policy name the server does not hold (POST /v1/verify)
  | "POLICY_NOT_FOUND"
  // a policy engine (an OPA server) that could not be asked
  | "POLICY_UNAVAILABLE"
  // keys
  | "KEY_UNREADABLE"
  | "KEY_PASSWORD_WRONG"
  | "KEY_PASSWORD_MISSING"
  | "KEY_PASSWORD_TOO_SHORT"
  | "KEY_UNSUPPORTED"
  // the build side
  | "NO_SUBJECTS_MATCHED"
  | "SUBJECT_OUTSIDE_ROOT"
  | "PLATFORM_FACTS_MISSING"
  | "TOKEN_INVALID"
  // the token endpoint, discovery document or JWKS could not be reached: not the token's fault
  | "TOKEN_UNAVAILABLE"
  // the signing service's refusals (POST /v1/provenance): one code each
  | "TOKEN_UNTRUSTED_ISSUER"
  | "TOKEN_AUDIENCE"
  | "TOKEN_EXPIRED"
  | "TOKEN_NOT_YET_VALID"
  | "TOKEN_ALG_NONE"
  | "TOKEN_ALG_NOT_ALLOWED"
  | "TOKEN_UNKNOWN_KID"
  | "TOKEN_REPLAYED"
  | "REPOSITORY_NOT_ALLOWED"
  | "BUILDER_NOT_ALLOWED"
  | "TOO_MANY_SUBJECTS"
  // the transparency log (@provenant/log)
  | "CHECKPOINT_INVALID"
  | "INCLUSION_PROOF_INVALID"
  | "LOG_INCONSISTENT"
  | "LOG_TILE_MISSING"
  | "MALFORMED_LOG_DATA"
  | "TLOG_ENTRY_INVALID"
  // the edges
  | "USAGE"
  | "IO_ERROR"
  // the vault's HTTP API (problem+json codes, also what the CLI prints for a refused request)
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "RATE_LIMITED"
  | "PAYLOAD_TOO_LARGE"
  | "SERVER_UNAVAILABLE"
  // a file source the signing service fetches a subject from did not answer with the file
  | "SOURCE_UNAVAILABLE";

export class ProvenantError extends Error {
  override readonly name = "ProvenantError";
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function isProvenantError(error: unknown, code?: ErrorCode): error is ProvenantError {
  return error instanceof ProvenantError && (code === undefined || error.code === code);
}
