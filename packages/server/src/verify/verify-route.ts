import { createRoute, z } from "@hono/zod-openapi";
import type { RouteContext, ServerApp } from "../http/context.js";
import { readableProjects, requireCaller } from "../http/guards.js";
import { parseJsonBody } from "../http/json-limits.js";
import { problemResponses } from "../http/schemas.js";
import { DEFAULT_VERIFICATION_LIMITS, parseVerifyRequest, type VerificationDeps, verifyArtifacts } from "./verify-artifacts.js";

export const VERIFY_PATH = "/v1/verify";

const RuleOutcomeSchema = z.object({
  rule: z.string(),
  status: z.enum(["pass", "fail", "not-applicable"]),
  reason: z.string(),
  checks: z.array(z.object({ name: z.string(), pass: z.boolean(), reason: z.string() })),
});

const verifyRoute = createRoute({
  method: "post",
  path: VERIFY_PATH,
  summary: "The server gate: a stored policy evaluated over the vault's attestations for each artifact",
  description:
    "Needs a token of scope read (also when public read is on: the decision is recorded in the audit table with who asked). The policy is one of the server's stored policies (`<data>/policies/NAME.yaml|yml|json`), named without extension. Every attestation the vault holds for each digest is evidence; the answer is the decision and the per-rule explanation, 200 whether allowed or denied. `vsa: true` adds one SLSA Verification Summary Attestation per artifact, signed by the server's signing key.",
  security: [{ bearer: [] }],
  request: {
    body: {
      required: true,
      content: {
        "application/json": {
          schema: z.object({
            policy: z.string().openapi({ example: "release" }),
            artifacts: z.array(
              z.object({
                digest: z.string().openapi({ example: `sha256:${"0".repeat(64)}` }),
                name: z.string().optional().openapi({ description: "matched by the policy's match.artifacts" }),
                image: z.string().optional().openapi({ description: "image reference without tag or digest, matched by match.images" }),
              }),
            ),
            vsa: z.boolean().optional(),
          }),
        },
      },
    },
  },
  responses: {
    200: {
      description: "the decision for every artifact",
      content: {
        "application/json": {
          schema: z.object({
            policy: z.object({ name: z.string(), digest: z.object({ sha256: z.string() }) }),
            allowed: z.boolean().openapi({ description: "true when every artifact is allowed" }),
            artifacts: z.array(
              z.object({
                digest: z.string(),
                name: z.string().optional(),
                image: z.string().optional(),
                allowed: z.boolean(),
                reason: z.string(),
                rules: z.array(RuleOutcomeSchema),
                slsaLevel: z.object({ level: z.number().int(), reason: z.string() }).optional(),
                attestations: z.number().int(),
                explanation: z.array(z.string()),
              }),
            ),
            vsas: z.array(z.record(z.string(), z.unknown())).optional(),
          }),
        },
      },
    },
    ...problemResponses,
  },
});

/**
 * `POST /v1/verify`. The body is read raw, depth-capped like every other
 * body, then checked by `parseVerifyRequest` so a refusal carries a code
 * (USAGE, INVALID_DIGEST, TOO_MANY_SUBJECTS) and the bad field's path.
 */
export function registerVerifyRoute(app: ServerApp, ctx: RouteContext, verification: VerificationDeps | undefined): void {
  app.openAPIRegistry.registerPath(verifyRoute);
  const deps: VerificationDeps = verification ?? { policies: new Map() };
  const limits = { ...DEFAULT_VERIFICATION_LIMITS, ...deps.limits };
  app.post(VERIFY_PATH, async (c) => {
    const caller = requireCaller(c, "read");
    const body = parseJsonBody(await c.req.text(), ctx.limits.maxJsonDepth, '{ "policy": NAME, "artifacts": [{ "digest": "sha256:HEX" }] }');
    const request = parseVerifyRequest(body, limits);
    // The gate sees what the caller may read: its own projects' attestations
    // (all of them with public read or a `*` token), as the read routes do.
    const projects = readableProjects(c, ctx.publicRead);
    const vault: Parameters<typeof verifyArtifacts>[2] = {
      findByDigest: (query) => ctx.vault.findByDigest({ ...query, ...(projects ? { projects } : {}) }),
      recordAudit: (entries, who) => ctx.vault.recordAudit(entries, who),
    };
    return c.json(await verifyArtifacts(request, caller, vault, deps), 200);
  });
}
