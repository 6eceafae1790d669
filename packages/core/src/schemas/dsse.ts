import * as z from "zod/mini";

export const IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";

export const EnvelopeSignatureSchema = z.object({
  keyid: z.optional(z.string()),
  sig: z.string().check(z.minLength(1, { message: "expected a base64 signature" })),
});

/**
 * Signatures one envelope may carry. DSSE sets no limit; each one costs a
 * verification per trusted key, and a 21 MB bundle of 200,000 anonymous
 * signatures took 12 s (issue 12 §4). Real envelopes carry one, a threshold
 * a handful.
 */
export const MAX_SIGNATURES_PER_ENVELOPE = 16;

/** DSSE envelope (secure-systems-lab/dsse envelope.md). */
export const EnvelopeSchema = z.object({
  payload: z.string(),
  payloadType: z.string().check(z.minLength(1)),
  signatures: z
    .array(EnvelopeSignatureSchema)
    .check(
      z.minLength(1, { message: "expected at least one signature" }),
      z.maxLength(MAX_SIGNATURES_PER_ENVELOPE, {
        message: `expected at most ${MAX_SIGNATURES_PER_ENVELOPE} signatures`,
      }),
    ),
});
export type EnvelopeSignature = z.infer<typeof EnvelopeSignatureSchema>;
export type Envelope = z.infer<typeof EnvelopeSchema>;
