import { createRoute, z } from "@hono/zod-openapi";
import { isProvenantError, ProvenantError } from "@provenant/core";
import type { RouteContext, ServerApp } from "../http/context.js";
import { parseJsonBody } from "../http/json-limits.js";
import { problemResponses } from "../http/schemas.js";
import { type SigningDeps, signProvenance } from "./sign-provenance.js";

export const PROVENANCE_PATH = "/v1/provenance";

const SubjectSchema = z.object({ name: z.string(), digest: z.object({ sha256: z.string() }) });

const provenanceRoute = createRoute({
  method: "post",
  path: PROVENANCE_PATH,
  summary: "The signing service: SLSA provenance built and signed by the server from the job's OIDC ID token",
  description:
    "Authorization: Bearer <the job's OIDC ID token, requested with this server's audience>. The server verifies the token against its trusted issuers, builds buildDefinition and runDetails from the token's claims alone (provenant_factsSource: service-oidc-token), signs with its own key, logs and stores the bundle, and returns it with its log proof. Subjects are the build's word. A token is accepted once.",
  security: [{ bearer: [] }],
  request: {
    body: {
      required: true,
      content: {
        "application/json": {
          schema: z.object({
            subjects: z.array(SubjectSchema).optional(),
            images: z
              .array(z.string())
              .optional()
              .openapi({ description: "REGISTRY/REPOSITORY@sha256:HEX from the server's configured registries: fetched and hashed by the server itself (listed under runDetails.metadata.provenant_subjectsHashedByService)" }),
            files: z
              .array(z.union([z.string(), z.object({ url: z.string(), name: z.string().optional() })]))
              .optional()
              .openapi({ description: "URLs under the server's configured file sources (or { url, name }): fetched and hashed by the server itself (listed with their URL under runDetails.metadata.provenant_subjectsHashedByService)" }),
          }),
        },
      },
    },
  },
  responses: {
    201: {
      description: "signed, logged and stored",
      content: { "application/json": { schema: z.object({ logIndex: z.number().int(), bundle: z.record(z.string(), z.unknown()) }) } },
    },
    ...problemResponses,
    409: { description: "the token was used before (TOKEN_REPLAYED)", content: problemResponses[400].content },
  },
});

/**
 * `POST /v1/provenance`. The job's token is the whole authentication: the
 * app's API-token middleware leaves this path to us (see app.ts). The body
 * is read raw to cap its depth like every other upload.
 */
export function registerProvenanceRoute(app: ServerApp, ctx: RouteContext, signing: SigningDeps | undefined): void {
  app.openAPIRegistry.registerPath(provenanceRoute);
  app.post(PROVENANCE_PATH, async (c) => {
    if (!signing) {
      throw new ProvenantError("NOT_FOUND", "this server has no signing service configured (no `signing.trustedIssuers` in its config)");
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "");
    if (!match) {
      throw new ProvenantError("UNAUTHENTICATED", "no job token: send `Authorization: Bearer <the job's OIDC ID token for this server's audience>`");
    }
    const body = parseJsonBody(await c.req.text(), ctx.limits.maxJsonDepth) as { subjects?: unknown; images?: unknown; files?: unknown } | null;
    let signed: Awaited<ReturnType<typeof signProvenance>>;
    try {
      signed = await signProvenance({ token: match[1]!, subjects: body?.subjects, images: body?.images, files: body?.files }, signing);
    } catch (error) {
      ctx.metrics.uploads.inc({ result: isProvenantError(error) ? `provenance:${error.code}` : "provenance:INTERNAL_ERROR" });
      throw error;
    }
    const subject = typeof signed.claims.sub === "string" ? signed.claims.sub : signed.identity.repository;
    // The vault's own key signed it in this process: stored without verifying that signature again.
    const { attestation } = await ctx.vault.uploadServiceSigned({ envelope: signed.envelope, statement: signed.statement, provenance: signed.statement.predicate }, {
      kind: "oidc",
      subject: `${signed.issuer}#${subject}`,
      projects: [signed.identity.repository],
      scope: "upload",
      ...(c.get("remoteAddress") ? { from: c.get("remoteAddress") } : {}),
    });
    ctx.metrics.uploads.inc({ result: "provenance:created" });
    return c.json({ logIndex: attestation.logIndex, bundle: attestation.bundle }, 201);
  });
}
