import { createRoute } from "@hono/zod-openapi";
import type { RouteContext, ServerApp } from "./context.js";
import { requireCaller } from "./guards.js";
import { KeyRequestSchema, problemResponses, TokenRequestSchema, TokenResponseSchema } from "./schemas.js";
import { z } from "@hono/zod-openapi";

const keysRoute = createRoute({
  method: "post",
  path: "/v1/keys",
  summary: "Register a public key for a project (admin): uploads signed with it are accepted for that project",
  security: [{ bearer: [] }],
  request: { body: { required: true, content: { "application/json": { schema: KeyRequestSchema } } } },
  responses: {
    201: { description: "registered", content: { "application/json": { schema: z.object({ keyId: z.string() }) } } },
    ...problemResponses,
  },
});

const tokensRoute = createRoute({
  method: "post",
  path: "/v1/tokens",
  summary: "Create an API token for a project (admin); the secret is returned once and stored only as a hash",
  security: [{ bearer: [] }],
  request: { body: { required: true, content: { "application/json": { schema: TokenRequestSchema } } } },
  responses: { 201: { description: "created", content: { "application/json": { schema: TokenResponseSchema } } }, ...problemResponses },
});

export function registerAdminRoutes(app: ServerApp, ctx: RouteContext): void {
  app.openapi(keysRoute, async (c) => {
    const caller = requireCaller(c, "admin");
    const body = c.req.valid("json");
    const result = await ctx.vault.registerKey(body, { ...caller, from: c.get("remoteAddress") });
    return c.json(result, 201);
  });

  app.openapi(tokensRoute, async (c) => {
    const caller = requireCaller(c, "admin");
    const body = c.req.valid("json");
    const result = await ctx.vault.createToken(body, { ...caller, from: c.get("remoteAddress") });
    return c.json(result, 201);
  });
}
