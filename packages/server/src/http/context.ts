import type { SigningDeps } from "../signing/sign-provenance.js";
import type { VerificationDeps } from "../verify/verify-artifacts.js";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Logger } from "pino";
import type { CallerIdentity, Vault } from "../vault/types.js";
import type { OidcConfig } from "./auth.js";
import type { ServerMetrics } from "./metrics.js";

export interface AppLimits {
  /** Largest request body, bytes (default 4 MiB). */
  maxBodyBytes: number;
  /** Deepest JSON nesting accepted in a body (default 64). */
  maxJsonDepth: number;
  /** Requests per window per caller (token subject, or remote address when anonymous). */
  rateLimit: { requests: number; windowMs: number };
  /** Largest page a listing returns (default 100). */
  maxPageSize: number;
}

export interface AppDeps {
  vault: Vault;
  /** The signing service (`POST /v1/provenance`); absent: the route answers NOT_FOUND. */
  signing?: SigningDeps;
  /** The server gate (`POST /v1/verify`): stored policies and the VSA signer; absent: no policies. */
  verification?: VerificationDeps;
  logger?: Logger;
  /** Reads without a token (writes always need one). */
  publicRead?: boolean;
  oidc?: OidcConfig;
  limits?: Partial<AppLimits>;
  /** Milliseconds since the epoch; the rate limiter's clock. */
  now?: () => number;
  /** The server's public URL, used in the trusted root it serves. */
  baseUrl?: string;
}

export interface ServerEnv {
  Variables: {
    caller: CallerIdentity | undefined;
    remoteAddress: string | undefined;
  };
}

export type ServerApp = OpenAPIHono<ServerEnv>;

export interface RouteContext {
  vault: Vault;
  limits: AppLimits;
  metrics: ServerMetrics;
  logger: Logger;
  publicRead: boolean;
  baseUrl?: string;
}
