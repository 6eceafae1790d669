import { createRoute, z } from "@hono/zod-openapi";
import { isProvenantError, ProvenantError } from "@provenant/core";
import type { RouteContext, ServerApp } from "./context.js";
import { readableProjects, requireCaller } from "./guards.js";
import { parseUploadBody } from "./json-limits.js";
import {
  ArtifactPageSchema,
  AttestationPageSchema,
  AttestationSchema,
  DIGEST,
  index,
  problemResponses,
  UploadResponseSchema,
} from "./schemas.js";

const uploadRoute = createRoute({
  method: "post",
  path: "/v1/attestations",
  summary: "Upload a Sigstore bundle, a DSSE envelope or .intoto.jsonl lines",
  description:
    "The signature must verify with a key registered for the caller's project. Each document is stored, appended to the log, and returned as a bundle with its tlogEntries once committed. Uploading the same envelope again returns the same entry.",
  security: [{ bearer: [] }],
  request: {
    body: {
      required: true,
      content: {
        "application/json": { schema: z.record(z.string(), z.unknown()) },
        "application/x-ndjson": { schema: z.string().openapi({ description: ".intoto.jsonl: one DSSE envelope per line" }) },
      },
    },
  },
  responses: {
    200: { description: "every document was already stored", content: { "application/json": { schema: UploadResponseSchema } } },
    201: { description: "stored and logged", content: { "application/json": { schema: UploadResponseSchema } } },
    ...problemResponses,
    413: problemResponses[400],
    422: { description: "signature does not verify, or the signing key is not registered for the project", content: problemResponses[400].content },
  },
});

const listRoute = createRoute({
  method: "get",
  path: "/v1/attestations",
  summary: "Attestations whose statement names this subject digest",
  security: [{ bearer: [] }],
  request: {
    query: z.object({
      digest: z.string().regex(DIGEST).openapi({ description: "sha256:<64 lowercase hex>" }),
      predicateType: z.string().max(512).optional(),
      repository: z.string().max(512).optional(),
      cursor: z.string().max(512).optional(),
      limit: z.coerce.number().int().min(1).max(1000).optional(),
    }),
  },
  responses: { 200: { description: "a page of attestations", content: { "application/json": { schema: AttestationPageSchema } } }, ...problemResponses },
});

const byIndexRoute = createRoute({
  method: "get",
  path: "/v1/attestations/{logIndex}",
  summary: "The attestation stored at a log index",
  security: [{ bearer: [] }],
  request: { params: z.object({ logIndex: index.openapi({ param: { name: "logIndex", in: "path" } }) }) },
  responses: {
    200: { description: "the attestation", content: { "application/json": { schema: AttestationSchema } } },
    404: { description: "no entry at that index", content: problemResponses[400].content },
    ...problemResponses,
  },
});

const artifactsRoute = createRoute({
  method: "get",
  path: "/v1/artifacts",
  summary: "Artifacts the vault holds evidence for: names, first/last seen, attestations by type, highest SLSA level",
  security: [{ bearer: [] }],
  request: {
    query: z.object({
      repository: z.string().max(512).optional(),
      name: z.string().max(1024).optional(),
      cursor: z.string().max(512).optional(),
      limit: z.coerce.number().int().min(1).max(1000).optional(),
    }),
  },
  responses: { 200: { description: "a page of artifacts", content: { "application/json": { schema: ArtifactPageSchema } } }, ...problemResponses },
});

export function registerAttestationRoutes(app: ServerApp, ctx: RouteContext): void {
  const { vault, metrics } = ctx;
  const timed = async <T>(route: string, work: () => Promise<T>): Promise<T> => {
    const end = metrics.queryDuration.startTimer({ route });
    try {
      return await work();
    } finally {
      end();
    }
  };

  // Registered for the document only: the handler below reads the raw body
  // itself, to cap its depth and to accept JSON Lines, which the generated
  // JSON validator would refuse.
  app.openAPIRegistry.registerPath(uploadRoute);
  app.post("/v1/attestations", async (c) => {
    const caller = requireCaller(c, "upload");
    const documents = parseUploadBody(await c.req.text(), ctx.limits.maxJsonDepth);
    // All documents of one body go to the vault together: validated all
    // before any is stored (one refused line stores nothing), and sharing one
    // integration (one commit) instead of waiting for one batch each.
    let uploaded: Awaited<ReturnType<typeof vault.uploadAll>>;
    try {
      uploaded = await vault.uploadAll(documents, { ...caller, from: c.get("remoteAddress") });
    } catch (error) {
      metrics.uploads.inc({ result: isProvenantError(error) ? error.code : "INTERNAL_ERROR" }, documents.length);
      throw error;
    }
    for (const { created } of uploaded) metrics.uploads.inc({ result: created ? "created" : "duplicate" });
    const results = uploaded.map(({ attestation, created }) => ({ created, logIndex: attestation.logIndex, bundle: attestation.bundle }));
    return c.json({ results }, results.some((r) => r.created) ? 201 : 200);
  });

  app.openapi(listRoute, async (c) => {
    const projects = readableProjects(c, ctx.publicRead);
    const query = c.req.valid("query");
    const page = await timed("attestations_by_digest", () =>
      vault.findByDigest({ ...query, ...(projects ? { projects } : {}), limit: Math.min(query.limit ?? ctx.limits.maxPageSize, ctx.limits.maxPageSize) }),
    );
    return c.json(page as z.infer<typeof AttestationPageSchema>, 200);
  });

  app.openapi(byIndexRoute, async (c) => {
    const projects = readableProjects(c, ctx.publicRead);
    const { logIndex } = c.req.valid("param");
    const found = await timed("attestation_by_index", () => vault.getByIndex(logIndex, projects));
    if (!found) throw new ProvenantError("NOT_FOUND", `no attestation at log index ${logIndex}`);
    return c.json(found as z.infer<typeof AttestationSchema>, 200);
  });

  app.openapi(artifactsRoute, async (c) => {
    const projects = readableProjects(c, ctx.publicRead);
    const query = c.req.valid("query");
    const page = await timed("artifacts", () =>
      vault.listArtifacts({ ...query, ...(projects ? { projects } : {}), limit: Math.min(query.limit ?? ctx.limits.maxPageSize, ctx.limits.maxPageSize) }),
    );
    return c.json(page, 200);
  });
}
