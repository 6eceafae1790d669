import { z } from "@hono/zod-openapi";

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().openapi({ description: "Provenant error code, the same the CLI prints (e.g. UNTRUSTED_KEY)" }),
  })
  .openapi("Problem");

const BundleSchema = z.record(z.string(), z.unknown()).openapi("SigstoreBundle", {
  description: "A Sigstore bundle (v0.3) whose verificationMaterial.tlogEntries carry this log's inclusion proof and checkpoint",
});

export const AttestationSchema = z
  .object({
    logIndex: z.number().int(),
    leafHash: z.string().openapi({ description: "lowercase hex RFC 6962 leaf hash" }),
    bundle: BundleSchema,
    subjects: z.array(z.object({ name: z.string(), digest: z.record(z.string(), z.string()) })),
    predicateType: z.string(),
    signerKeyId: z.string(),
    project: z.string(),
    source: z.object({ repository: z.string(), ref: z.string().optional(), commit: z.string().optional() }).optional(),
    builderId: z.string().optional(),
    slsaLevel: z.number().int(),
    uploadedBy: z.string(),
    integratedTime: z.string(),
  })
  .openapi("Attestation");

export const UploadResponseSchema = z
  .object({
    results: z.array(
      z.object({
        created: z.boolean().openapi({ description: "false when this envelope was uploaded before (the same entry is returned)" }),
        logIndex: z.number().int(),
        bundle: BundleSchema,
      }),
    ),
  })
  .openapi("UploadResponse");

export const AttestationPageSchema = z
  .object({ items: z.array(AttestationSchema), nextCursor: z.string().optional() })
  .openapi("AttestationPage");

export const ArtifactPageSchema = z
  .object({
    items: z.array(
      z.object({
        digest: z.string(),
        names: z.array(z.string()),
        firstSeen: z.string(),
        lastSeen: z.string(),
        attestationsByType: z.record(z.string(), z.number().int()),
        highestSlsaLevel: z.number().int(),
      }),
    ),
    nextCursor: z.string().optional(),
  })
  .openapi("ArtifactPage");

export const InclusionProofSchema = z
  .object({
    logIndex: z.number().int(),
    treeSize: z.number().int(),
    rootHash: z.string(),
    hashes: z.array(z.string()),
    checkpoint: z.string(),
  })
  .openapi("InclusionProof");

export const ConsistencyProofSchema = z
  .object({ fromSize: z.number().int(), toSize: z.number().int(), hashes: z.array(z.string()) })
  .openapi("ConsistencyProof");

export const KeyRequestSchema = z
  .object({
    project: z.string().min(1).max(256),
    publicKeyPem: z.string().min(1).max(16_384),
    name: z.string().max(256).optional(),
    service: z.boolean().optional(),
  })
  .openapi("KeyRegistration");

export const TokenRequestSchema = z
  .object({
    project: z.string().min(1).max(256),
    scope: z.enum(["read", "upload", "admin"]),
    name: z.string().max(256).optional(),
  })
  .openapi("TokenRequest");

export const TokenResponseSchema = z
  .object({ id: z.string(), token: z.string().openapi({ description: "shown once; the server keeps only its hash" }) })
  .openapi("Token");

export const TokenSummarySchema = z
  .object({
    id: z.string(),
    project: z.string(),
    scope: z.enum(["read", "upload", "admin"]),
    name: z.string().optional(),
    createdAt: z.string(),
  })
  .openapi("TokenSummary");

export const DIGEST = /^sha256:[0-9a-f]{64}$/;
export const HEX_HASH = /^[0-9a-f]{64}$/;
export const index = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const problemResponses = {
  400: { description: "bad input", content: { "application/problem+json": { schema: ProblemSchema } } },
  401: { description: "no or invalid token", content: { "application/problem+json": { schema: ProblemSchema } } },
  403: { description: "token lacks the scope", content: { "application/problem+json": { schema: ProblemSchema } } },
  429: { description: "rate limited", content: { "application/problem+json": { schema: ProblemSchema } } },
} as const;
