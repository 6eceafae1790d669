
import { ProvenantError, parseWith } from "@provenant/core";
import * as z from "zod/mini";

const DigestString = z
  .string()
  .check(z.regex(/^sha256:[a-f0-9]{64}$|^sha512:[a-f0-9]{128}$/, "expected sha256:<64 lowercase hex>"));

/** OCI image spec `descriptor.md`; unknown fields are kept so an index we rewrite loses nothing. */
export const DescriptorSchema = z.looseObject({
  mediaType: z.string().check(z.minLength(1)),
  digest: DigestString,
  size: z.int().check(z.nonnegative()),
  artifactType: z.optional(z.string()),
  annotations: z.optional(z.record(z.string(), z.string())),
  platform: z.optional(
    z.looseObject({
      architecture: z.string(),
      os: z.string(),
      variant: z.optional(z.string()),
    }),
  ),
});
export type Descriptor = z.infer<typeof DescriptorSchema>;

/** OCI image spec `manifest.md` (Docker schema 2 has the same shape). */
export const ImageManifestSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.optional(z.string()),
  artifactType: z.optional(z.string()),
  config: DescriptorSchema,
  layers: z.array(DescriptorSchema),
  subject: z.optional(DescriptorSchema),
  annotations: z.optional(z.record(z.string(), z.string())),
});
export type ImageManifest = z.infer<typeof ImageManifestSchema>;

/** OCI image spec `image-index.md` (Docker manifest lists have the same shape). */
export const ImageIndexSchema = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.optional(z.string()),
  artifactType: z.optional(z.string()),
  manifests: z.array(DescriptorSchema),
  subject: z.optional(DescriptorSchema),
  annotations: z.optional(z.record(z.string(), z.string())),
});
export type ImageIndex = z.infer<typeof ImageIndexSchema>;

export function parseJsonBytes(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    throw new ProvenantError("MALFORMED_JSON", `${what} is not valid JSON (${(error as Error).message})`, { cause: error });
  }
}

export function parseManifest(bytes: Uint8Array, what: string): ImageManifest {
  return parseWith(ImageManifestSchema, parseJsonBytes(bytes, what), "MALFORMED_JSON", `${what} is not an OCI image manifest`);
}

export function parseIndex(bytes: Uint8Array, what: string): ImageIndex {
  return parseWith(ImageIndexSchema, parseJsonBytes(bytes, what), "MALFORMED_JSON", `${what} is not an OCI image index`);
}
