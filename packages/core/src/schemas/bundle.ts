import * as z from "zod/mini";
import { EnvelopeSchema } from "./dsse.js";

export const BUNDLE_V03_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json";

/** Media types we read. v0.3 is written; the older spelling and v0.2 are read. */
export const READABLE_BUNDLE_MEDIA_TYPES = [
  BUNDLE_V03_MEDIA_TYPE,
  "application/vnd.dev.sigstore.bundle+json;version=0.3",
  "application/vnd.dev.sigstore.bundle+json;version=0.2",
] as const;

const RawBytes = z.object({ rawBytes: z.string().check(z.minLength(1)) });

// protobuf-specs JSON form of VerificationMaterial: exactly one of publicKey,
// x509CertificateChain (v0.1/v0.2) or certificate (v0.3) identifies the key.
export const VerificationMaterialSchema = z
  .looseObject({
    publicKey: z.optional(z.object({ hint: z.string() })),
    x509CertificateChain: z.optional(z.object({ certificates: z.array(RawBytes).check(z.minLength(1)) })),
    certificate: z.optional(RawBytes),
    tlogEntries: z.optional(z.array(z.unknown())),
    timestampVerificationData: z.optional(z.unknown()),
  })
  .check(
    z.refine(
      (m) => [m.publicKey, m.x509CertificateChain, m.certificate].filter((x) => x !== undefined).length === 1,
      { message: "expected exactly one of publicKey, x509CertificateChain, certificate" },
    ),
  );

export const BundleSchema = z.looseObject({
  mediaType: z.enum(READABLE_BUNDLE_MEDIA_TYPES, {
    message: `expected mediaType ${BUNDLE_V03_MEDIA_TYPE}`,
  }),
  verificationMaterial: VerificationMaterialSchema,
  dsseEnvelope: z.optional(EnvelopeSchema),
  messageSignature: z.optional(z.unknown()),
});

export type VerificationMaterial = z.infer<typeof VerificationMaterialSchema>;
export type Bundle = z.infer<typeof BundleSchema>;
