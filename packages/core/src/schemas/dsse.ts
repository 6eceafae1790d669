import { z } from "zod";

export const IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";

export const EnvelopeSignatureSchema = z.object({
  keyid: z.string().optional(),
  sig: z.string().min(1, { message: "expected a base64 signature" }),
});

/** DSSE envelope (secure-systems-lab/dsse envelope.md). */
export const EnvelopeSchema = z.object({
  payload: z.string(),
  payloadType: z.string().min(1),
  signatures: z.array(EnvelopeSignatureSchema).min(1, { message: "expected at least one signature" }),
});
export type EnvelopeSignature = z.infer<typeof EnvelopeSignatureSchema>;
export type Envelope = z.infer<typeof EnvelopeSchema>;
