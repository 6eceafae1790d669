import * as z from "zod/mini";

export const IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";

export const EnvelopeSignatureSchema = z.object({
  keyid: z.optional(z.string()),
  sig: z.string().check(z.minLength(1, { message: "expected a base64 signature" })),
});

/** DSSE envelope (secure-systems-lab/dsse envelope.md). */
export const EnvelopeSchema = z.object({
  payload: z.string(),
  payloadType: z.string().check(z.minLength(1)),
  signatures: z.array(EnvelopeSignatureSchema).check(z.minLength(1, { message: "expected at least one signature" })),
});
export type EnvelopeSignature = z.infer<typeof EnvelopeSignatureSchema>;
export type Envelope = z.infer<typeof EnvelopeSchema>;
