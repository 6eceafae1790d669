import { type ErrorCode, isProvenantError } from "@provenant/core";

/** RFC 9457 problem details, with Provenant's error code as an extension member. */
export interface Problem {
  type: "about:blank";
  title: string;
  status: number;
  detail: string;
  code: ErrorCode | "INTERNAL_ERROR";
}

const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  MALFORMED_JSON: 400,
  MALFORMED_BUNDLE: 400,
  MALFORMED_ENVELOPE: 400,
  WRONG_PAYLOAD_TYPE: 400,
  INVALID_BASE64: 400,
  MALFORMED_STATEMENT: 400,
  UNKNOWN_PREDICATE_TYPE: 400,
  MALFORMED_PROVENANCE: 400,
  PROVENANCE_FIELD_CASE: 400,
  EMPTY_SUBJECTS: 400,
  INVALID_DIGEST: 400,
  INVALID_POLICY: 400,
  KEY_UNREADABLE: 400,
  KEY_UNSUPPORTED: 400,
  USAGE: 400,
  // The document was read but its signature or signer is not acceptable.
  SIGNATURE_INVALID: 422,
  SIGNATURE_THRESHOLD: 422,
  UNTRUSTED_KEY: 422,
  SUBJECT_MISMATCH: 422,
  POLICY_DENIED: 422,
  UNAUTHENTICATED: 401,
  TOKEN_INVALID: 401,
  PLATFORM_FACTS_MISSING: 401,
  FORBIDDEN: 403,
  // the signing service's refusals
  TOKEN_UNTRUSTED_ISSUER: 401,
  TOKEN_AUDIENCE: 401,
  TOKEN_EXPIRED: 401,
  TOKEN_NOT_YET_VALID: 401,
  TOKEN_ALG_NONE: 401,
  TOKEN_ALG_NOT_ALLOWED: 401,
  TOKEN_UNKNOWN_KID: 401,
  TOKEN_REPLAYED: 409,
  REPOSITORY_NOT_ALLOWED: 403,
  BUILDER_NOT_ALLOWED: 403,
  TOO_MANY_SUBJECTS: 413,
  NOT_FOUND: 404,
  // POST /v1/verify
  POLICY_NOT_FOUND: 404,
  INPUT_TOO_LARGE: 413,
  JSON_TOO_DEEP: 400,
  POLICY_UNAVAILABLE: 503,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  SERVER_UNAVAILABLE: 503,
  SOURCE_UNAVAILABLE: 502,
};

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  413: "Content Too Large",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
};

export function statusOf(code: ErrorCode): number {
  return STATUS_BY_CODE[code] ?? 500;
}

export function problem(status: number, code: Problem["code"], detail: string): Problem {
  return { type: "about:blank", title: TITLES[status] ?? "Error", status, detail, code };
}

/**
 * Turns any thrown value into a problem. Only ProvenantError messages reach
 * the client (they are written for users); anything else is an internal error
 * whose message and stack stay in the server log.
 */
export function problemOf(error: unknown): Problem {
  if (isProvenantError(error)) return problem(statusOf(error.code), error.code, error.message);
  return problem(500, "INTERNAL_ERROR", "the server failed to answer this request; the server log has the details");
}

export function problemResponse(p: Problem, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(p), {
    status: p.status,
    headers: { "content-type": "application/problem+json", ...headers },
  });
}
