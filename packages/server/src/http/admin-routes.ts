import { createRoute } from "@hono/zod-openapi";
import type { RouteContext, ServerApp } from "./context.js";
import { requireCaller } from "./guards.js";
import { KeyRequestSchema, problemResponses, TokenRequestSchema, TokenResponseSchema, TokenSummarySchema } from "./schemas.js";
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

const listTokensRoute = createRoute({
  method: "get",
  path: "/v1/tokens",
  summary: "List the API tokens (admin): ids, projects, scopes, names; never a secret or its hash",
  security: [{ bearer: [] }],
  responses: {
    200: { description: "the tokens", content: { "application/json": { schema: z.object({ tokens: z.array(TokenSummarySchema) }) } } },
    ...problemResponses,
  },
});

const revokeTokenRoute = createRoute({
  method: "delete",
  path: "/v1/tokens/{id}",
  summary: "Revoke an API token (admin): it stops working at once; the audit table keeps who revoked it",
  security: [{ bearer: [] }],
  request: { params: z.object({ id: z.string().regex(/^tok_[0-9a-f]{16}$/) }) },
  responses: { 204: { description: "revoked" }, ...problemResponses },
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

  app.openapi(listTokensRoute, async (c) => {
    const caller = requireCaller(c, "admin");
    return c.json({ tokens: await ctx.vault.listTokens({ ...caller, from: c.get("remoteAddress") }) }, 200);
  });

  app.openapi(revokeTokenRoute, async (c) => {
    const caller = requireCaller(c, "admin");
    await ctx.vault.revokeToken(c.req.valid("param").id, { ...caller, from: c.get("remoteAddress") });
    return c.body(null, 204);
  });
}
