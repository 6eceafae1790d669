import { OpenAPIHono } from "@hono/zod-openapi";
import { ProvenantError } from "@provenant/core";
import { HTTPException } from "hono/http-exception";
import { bodyLimit } from "hono/body-limit";
import { pino } from "pino";
import { registerAdminRoutes } from "./admin-routes.js";
import { registerAttestationRoutes } from "./attestation-routes.js";
import { authenticate } from "./auth.js";
import type { AppDeps, AppLimits, RouteContext, ServerApp, ServerEnv } from "./context.js";
import { registerLogRoutes } from "./log-routes.js";
import { checkpointSize, createMetrics } from "./metrics.js";
import { problem, problemOf, problemResponse } from "./problem.js";
import { createRateLimiter } from "./rate-limit.js";
import { renderReferencePage } from "./reference-page.js";
import { PROVENANCE_PATH, registerProvenanceRoute } from "../signing/provenance-route.js";
import { registerVerifyRoute } from "../verify/verify-route.js";

export const DEFAULT_LIMITS: AppLimits = {
  maxBodyBytes: 4 * 1024 * 1024,
  maxJsonDepth: 64,
  rateLimit: { requests: 600, windowMs: 60_000 },
  maxPageSize: 100,
};

const OPENAPI_INFO = {
  openapi: "3.0.3",
  info: {
    title: "Provenant evidence vault",
    version: "1",
    description: "Private attestation store with a tamper-evident log (RFC 6962, C2SP checkpoints and tiles).",
  },
};

/** Paths that answer without authentication and are not rate limited (probes and documents). */
const OPEN_PATHS = new Set(["/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"]);

/**
 * Builds the vault's HTTP API. Binding a port is `serve()`'s job; tests call
 * `app.request(new Request(...))` on what this returns.
 */
export function createApp(deps: AppDeps): ServerApp {
  const limits: AppLimits = { ...DEFAULT_LIMITS, ...deps.limits };
  const logger = deps.logger ?? pino({ level: "silent" });
  const metrics = createMetrics(async () => checkpointSize(await deps.vault.checkpoint()));
  const limiter = createRateLimiter({ ...limits.rateLimit, now: deps.now ?? Date.now });
  const ctx: RouteContext = {
    vault: deps.vault,
    limits,
    metrics,
    logger,
    publicRead: deps.publicRead ?? false,
    baseUrl: deps.baseUrl,
  };

  const app: ServerApp = new OpenAPIHono<ServerEnv>({
    // A query or body that fails its schema: one problem naming the field.
    defaultHook: (result, c) => {
      if (!result.success) {
        const issue = result.error.issues[0];
        const where = issue?.path.length ? issue.path.join(".") : "request";
        return c.body(
          JSON.stringify(problem(400, "USAGE", `${where}: ${issue?.message ?? "invalid"}`)),
          400,
          { "content-type": "application/problem+json" },
        );
      }
    },
  });

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "An API token (`provenant server token create`) or a CI OIDC ID token from a configured issuer",
  });

  app.onError((error, c) => {
    let p = problemOf(error);
    if (error instanceof HTTPException && !(error instanceof ProvenantError)) {
      p = problem(error.status, error.status === 413 ? "PAYLOAD_TOO_LARGE" : "USAGE", error.message || "bad request");
    }
    if (p.status >= 500) logger.error({ err: error, path: c.req.path }, "request failed");
    const headers: Record<string, string> = {};
    const retry = (error as { retryAfterSeconds?: number }).retryAfterSeconds;
    if (retry) headers["retry-after"] = String(retry);
    return problemResponse(p, headers);
  });

  app.notFound((c) => problemResponse(problem(404, "NOT_FOUND", `no route ${c.req.method} ${c.req.path}; see /docs`)));

  // Structured access log. Only the path is logged (never the query string,
  // never headers): tokens travel in the Authorization header only.
  app.use("*", async (c, next) => {
    const started = process.hrtime.bigint();
    await next();
    logger.info({
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Number(process.hrtime.bigint() - started) / 1e6,
      caller: c.get("caller")?.subject,
      remote: c.get("remoteAddress"),
    });
  });

  app.use(
    "*",
    bodyLimit({
      maxSize: limits.maxBodyBytes,
      onError: () => {
        throw new ProvenantError("PAYLOAD_TOO_LARGE", `the request body is larger than ${limits.maxBodyBytes} bytes`);
      },
    }),
  );

  app.use("*", async (c, next) => {
    // @hono/node-server passes the Node request as env.incoming; app.request in tests has none.
    const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
    c.set("remoteAddress", incoming?.socket?.remoteAddress);
    if (OPEN_PATHS.has(c.req.path)) return next();
    // The signing service verifies the job's own token against its issuers; rate limited by remote here, per repository there.
    if (c.req.path === PROVENANCE_PATH) {
      const verdict = limiter.take(`remote:${c.get("remoteAddress") ?? "unknown"}`);
      if (!verdict.allowed) {
        throw Object.assign(new ProvenantError("RATE_LIMITED", `too many requests; retry in ${verdict.retryAfterSeconds} s`), {
          retryAfterSeconds: verdict.retryAfterSeconds,
        });
      }
      return next();
    }
    const caller = await authenticate(c.req.header("authorization"), deps, c.get("remoteAddress"));
    c.set("caller", caller);
    const verdict = limiter.take(caller ? `caller:${caller.subject}` : `remote:${c.get("remoteAddress") ?? "unknown"}`);
    if (!verdict.allowed) {
      throw Object.assign(new ProvenantError("RATE_LIMITED", `too many requests; retry in ${verdict.retryAfterSeconds} s`), {
        retryAfterSeconds: verdict.retryAfterSeconds,
      });
    }
    return next();
  });

  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    try {
      await deps.vault.checkpoint();
      return c.json({ status: "ready" });
    } catch (error) {
      logger.warn({ err: error }, "not ready");
      return problemResponse(problem(503, "SERVER_UNAVAILABLE", "the vault's store does not answer"));
    }
  });
  app.get("/metrics", async (c) =>
    c.body(await metrics.registry.metrics(), 200, { "content-type": metrics.registry.contentType }),
  );

  registerAttestationRoutes(app, ctx);
  registerLogRoutes(app, ctx);
  registerAdminRoutes(app, ctx);
  registerProvenanceRoute(app, ctx, deps.signing);
  registerVerifyRoute(app, ctx, deps.verification);

  app.doc("/openapi.json", OPENAPI_INFO);
  app.get("/docs", (c) => c.html(renderReferencePage(app.getOpenAPIDocument(OPENAPI_INFO) as unknown as Parameters<typeof renderReferencePage>[0])));

  return app;
}
