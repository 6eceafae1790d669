import { ProvenantError } from "@provenant/core";
import { verifyIdToken } from "@provenant/oidc";
import type { CallerIdentity, Vault } from "../vault/types.js";

/** A CI platform whose ID tokens may upload, and the claim that names the project. */
export interface OidcIssuerConfig {
  /** Exact `iss`: `https://token.actions.githubusercontent.com`, a GitLab instance URL, a Jenkins or Azure DevOps issuer. */
  issuer: string;
  /** Claim holding the project path: `repository` (GitHub), `project_path` (GitLab), ... */
  projectClaim: string;
  /** Where the issuer's keys are, when discovery is not used (GitLab: `/oauth/discovery/keys`). */
  jwksUri?: string;
}

export interface OidcConfig {
  /** The server's audience: tokens minted for anything else are refused. */
  audience: string;
  issuers: readonly OidcIssuerConfig[];
  fetch?: typeof globalThis.fetch;
  now?: () => Date;
}

const SCOPE_RANK: Record<CallerIdentity["scope"], number> = { read: 0, upload: 1, admin: 2 };

export function hasScope(caller: CallerIdentity, needed: CallerIdentity["scope"]): boolean {
  return SCOPE_RANK[caller.scope] >= SCOPE_RANK[needed];
}

/** A JWT has three base64url parts; API tokens never contain dots. */
function looksLikeJwt(secret: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(secret);
}

/** The unverified `iss`, only to choose which configured issuer verifies the token. */
function unverifiedIssuer(jwt: string): string | undefined {
  try {
    const payload = JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString("utf8")) as { iss?: unknown };
    return typeof payload.iss === "string" ? payload.iss : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Resolves the `Authorization` header to a caller: an API token the vault
 * knows, or a CI OIDC ID token from a configured issuer, mapped to the
 * project named by its claim. Returns undefined when there is no header;
 * throws UNAUTHENTICATED / TOKEN_INVALID for a header that does not verify.
 */
export async function authenticate(
  header: string | undefined,
  deps: { vault: Vault; oidc?: OidcConfig },
  from: string | undefined,
): Promise<CallerIdentity | undefined> {
  if (header === undefined || header.trim() === "") return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new ProvenantError("UNAUTHENTICATED", "the Authorization header is not `Bearer <token>`");
  const secret = match[1]!;
  if (looksLikeJwt(secret)) return { ...(await authenticateOidc(secret, deps.oidc)), from };
  const caller = await deps.vault.authenticateToken(secret);
  if (!caller) throw new ProvenantError("UNAUTHENTICATED", "the API token is unknown or revoked");
  return { ...caller, from };
}

async function authenticateOidc(jwt: string, oidc: OidcConfig | undefined): Promise<CallerIdentity> {
  if (!oidc || oidc.issuers.length === 0) {
    throw new ProvenantError("UNAUTHENTICATED", "this server accepts no CI OIDC tokens (no issuers configured); use an API token");
  }
  const iss = unverifiedIssuer(jwt);
  const config = oidc.issuers.find((candidate) => candidate.issuer === iss);
  if (!config) {
    throw new ProvenantError("UNAUTHENTICATED", `the OIDC token's issuer is not one this server trusts; expected one of ${oidc.issuers.map((i) => i.issuer).join(", ")}`);
  }
  const claims = await verifyIdToken(jwt, {
    issuer: config.issuer,
    audience: oidc.audience,
    jwksUri: config.jwksUri,
    fetch: oidc.fetch,
    now: oidc.now,
    requiredClaims: [config.projectClaim, "sub"],
  });
  const project = claims[config.projectClaim];
  if (typeof project !== "string" || project === "") {
    throw new ProvenantError("TOKEN_INVALID", `the OIDC token's ${config.projectClaim} claim is not a project path`);
  }
  return { kind: "oidc", subject: `${config.issuer}#${String(claims.sub)}`, projects: [project], scope: "upload" };
}
