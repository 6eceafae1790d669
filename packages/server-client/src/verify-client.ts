import { vaultJson } from "./vault-client.js";

/** One rule's outcome as the server's policy evaluation explains it. */
export interface ServerRuleOutcome {
  rule: string;
  status: "pass" | "fail" | "not-applicable";
  reason: string;
  checks: { name: string; pass: boolean; reason: string }[];
}

/** The server gate's answer (`POST /v1/verify`): 200 whether allowed or denied. */
export interface ServerVerifyAnswer {
  policy: { name: string; digest: { sha256: string } };
  /** true when every artifact is allowed. */
  allowed: boolean;
  artifacts: {
    digest: string;
    name?: string;
    image?: string;
    allowed: boolean;
    reason: string;
    rules: ServerRuleOutcome[];
    slsaLevel?: { level: number; reason: string };
    attestations: number;
    /** The per-rule explanation lines every gate prints; escape them before a terminal. */
    explanation: string[];
  }[];
  /** Signed SLSA Verification Summary Attestations (Sigstore bundles), one per artifact, when asked for. */
  vsas?: unknown[];
}

/**
 * `POST /v1/verify`: the server evaluates one of its stored policies over
 * every attestation it holds for each artifact's digest and records the
 * decision in its audit table. A refusal (unknown policy, bad request, caps)
 * is the server's coded error (`POLICY_NOT_FOUND`, `USAGE`,
 * `INVALID_DIGEST`, `TOO_MANY_SUBJECTS`, `INPUT_TOO_LARGE`, ...); a denial is
 * an answer with `allowed: false`.
 */
export async function verifyWithServerPolicy(request: {
  server: string;
  /** An API token of scope read (or more). */
  token: string;
  policy: string;
  artifacts: readonly { digest: string; name?: string; image?: string }[];
  vsa?: boolean;
  fetch?: typeof globalThis.fetch;
}): Promise<ServerVerifyAnswer> {
  return vaultJson<ServerVerifyAnswer>({ server: request.server, token: request.token, ...(request.fetch ? { fetch: request.fetch } : {}) }, "v1/verify", {
    method: "POST",
    body: JSON.stringify({
      policy: request.policy,
      artifacts: request.artifacts.map((a) => ({ digest: a.digest, ...(a.name ? { name: a.name } : {}), ...(a.image ? { image: a.image } : {}) })),
      ...(request.vsa ? { vsa: true } : {}),
    }),
    contentType: "application/json",
  });
}

