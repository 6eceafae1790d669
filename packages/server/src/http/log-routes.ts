import { createRoute, z } from "@hono/zod-openapi";
import { ProvenantError } from "@provenant/core";
import { parseTilePath } from "@provenant/log";
import type { RouteContext, ServerApp } from "./context.js";
import { requireReader } from "./guards.js";
import { checkpointSize } from "./metrics.js";
import { ConsistencyProofSchema, HEX_HASH, index, InclusionProofSchema, problemResponses } from "./schemas.js";

const checkpointRoute = createRoute({
  method: "get",
  path: "/v1/log/checkpoint",
  summary: "The latest signed checkpoint (C2SP tlog-checkpoint signed note) and its tree size",
  security: [{ bearer: [] }],
  responses: {
    200: { description: "the checkpoint", content: { "application/json": { schema: z.object({ treeSize: z.number().int(), checkpoint: z.string() }) } } },
    ...problemResponses,
  },
});

const inclusionRoute = createRoute({
  method: "get",
  path: "/v1/log/inclusion-proof",
  summary: "Inclusion proof of an entry, by log index or by leaf hash, in the tree of `treeSize` (default: the latest)",
  security: [{ bearer: [] }],
  request: {
    query: z.object({
      logIndex: index.optional(),
      leafHash: z.string().regex(HEX_HASH).optional().openapi({ description: "lowercase hex RFC 6962 leaf hash" }),
      treeSize: index.optional(),
    }),
  },
  responses: {
    200: { description: "the proof with the checkpoint of that size", content: { "application/json": { schema: InclusionProofSchema } } },
    404: { description: "no such entry", content: problemResponses[400].content },
    ...problemResponses,
  },
});

const consistencyRoute = createRoute({
  method: "get",
  path: "/v1/log/consistency-proof",
  summary: "RFC 6962 consistency proof between two tree sizes",
  security: [{ bearer: [] }],
  request: { query: z.object({ from: index, to: index }) },
  responses: { 200: { description: "the proof", content: { "application/json": { schema: ConsistencyProofSchema } } }, ...problemResponses },
});

const publicKeyRoute = createRoute({
  method: "get",
  path: "/v1/log/public-key",
  summary: "The log's public key (PEM) that signs checkpoints",
  responses: { 200: { description: "PEM", content: { "application/x-pem-file": { schema: z.string() } } } },
});

const trustedRootRoute = createRoute({
  method: "get",
  path: "/v1/log/trusted-root",
  summary: "A Sigstore TrustedRoot holding this log's key, for verifying bundles offline",
  responses: { 200: { description: "TrustedRoot JSON", content: { "application/json": { schema: z.record(z.string(), z.unknown()) } } } },
});

const tileRoute = createRoute({
  method: "get",
  path: "/tile/{path}",
  summary: "C2SP tlog-tiles: hash tiles /tile/<L>/<N>[.p/<W>] and entry bundles /tile/entries/<N>[.p/<W>]",
  security: [{ bearer: [] }],
  request: { params: z.object({ path: z.string().openapi({ param: { name: "path", in: "path" }, example: "0/x001/234.p/17" }) }) },
  responses: { 200: { description: "tile bytes", content: { "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) } } } },
});

const tlogCheckpointRoute = createRoute({
  method: "get",
  path: "/checkpoint",
  summary: "C2SP tlog-tiles: the latest checkpoint as text",
  security: [{ bearer: [] }],
  responses: { 200: { description: "signed note", content: { "text/plain": { schema: z.string() } } } },
});

export function registerLogRoutes(app: ServerApp, ctx: RouteContext): void {
  const { vault } = ctx;
  const timed = async <T>(route: string, work: () => Promise<T>): Promise<T> => {
    const end = ctx.metrics.queryDuration.startTimer({ route });
    try {
      return await work();
    } finally {
      end();
    }
  };

  app.openapi(checkpointRoute, async (c) => {
    requireReader(c, ctx.publicRead);
    const checkpoint = await vault.checkpoint();
    return c.json({ treeSize: checkpointSize(checkpoint), checkpoint }, 200);
  });

  app.openapi(inclusionRoute, async (c) => {
    requireReader(c, ctx.publicRead);
    const { logIndex, leafHash, treeSize } = c.req.valid("query");
    if ((logIndex === undefined) === (leafHash === undefined)) {
      throw new ProvenantError("USAGE", "give exactly one of logIndex or leafHash");
    }
    const query = logIndex !== undefined ? { logIndex } : { leafHash: leafHash! };
    const proof = await timed("inclusion_proof", () => vault.inclusionProof(query, treeSize));
    return c.json(proof, 200);
  });

  app.openapi(consistencyRoute, async (c) => {
    requireReader(c, ctx.publicRead);
    const { from, to } = c.req.valid("query");
    if (from > to) throw new ProvenantError("USAGE", `from (${from}) is larger than to (${to}); expected from <= to`);
    const hashes = await timed("consistency_proof", () => vault.consistencyProof(from, to));
    return c.json({ fromSize: from, toSize: to, hashes }, 200);
  });

  app.openapi(publicKeyRoute, (c) => c.body(vault.logPublicKeyPem(), 200, { "content-type": "application/x-pem-file" }));

  app.openapi(trustedRootRoute, (c) => c.json(vault.trustedRoot(ctx.baseUrl ?? new URL(c.req.url).origin) as Record<string, unknown>, 200));

  app.openAPIRegistry.registerPath(tlogCheckpointRoute);
  app.get("/checkpoint", async (c) => {
    requireReader(c, ctx.publicRead);
    return c.body(await vault.checkpoint(), 200, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-cache" });
  });

  // Tile paths have a variable number of segments (`x001/234`), so this is a
  // wildcard route; the OpenAPI entry above documents it.
  app.openAPIRegistry.registerPath(tileRoute);
  app.get("/tile/*", async (c) => {
    requireReader(c, ctx.publicRead);
    const rest = c.req.path.slice("/tile/".length);
    const parsed = parseTilePath(c.req.path);
    if (!parsed) {
      throw new ProvenantError("USAGE", `/tile/${rest} is not a tile path; expected /tile/<L>/<N>[.p/<W>] or /tile/entries/<N>[.p/<W>] (C2SP tlog-tiles)`);
    }
    const data = await timed("tile", () =>
      parsed.level === "entries" ? vault.readEntryBundle(parsed.index, parsed.width) : vault.readTile(parsed.level as number, parsed.index, parsed.width),
    );
    if (!data) throw new ProvenantError("NOT_FOUND", `no tile at /tile/${rest}`);
    // Full tiles never change (tlog-tiles: cache them forever); partial ones grow.
    const cache = parsed.width === undefined ? "public, max-age=31536000, immutable" : "no-cache";
    return c.body(new Uint8Array(data), 200, { "content-type": "application/octet-stream", "cache-control": cache });
  });
}
