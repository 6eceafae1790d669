import { z } from "zod";
import { DigestSetSchema } from "./digest.js";

export const STATEMENT_TYPE = "https://in-toto.io/Statement/v1";

/** in-toto ResourceDescriptor v1: at least one of uri, digest, content. */
export const ResourceDescriptorSchema = z
  .looseObject({
    uri: z.string().min(1).optional(),
    digest: DigestSetSchema.optional(),
    name: z.string().optional(),
    downloadLocation: z.string().optional(),
    mediaType: z.string().optional(),
    content: z.string().optional(),
    annotations: z.record(z.string(), z.unknown()).optional(),
  })
  .refine((rd) => rd.uri !== undefined || rd.digest !== undefined || rd.content !== undefined, {
    message: "a resource descriptor needs at least one of uri, digest, content",
  });
export type ResourceDescriptor = z.infer<typeof ResourceDescriptorSchema>;

/** Statement subjects must carry a digest (in-toto Statement v1). */
export const SubjectSchema = z.looseObject({
  name: z.string().optional(),
  uri: z.string().optional(),
  digest: DigestSetSchema.refine((d) => Object.keys(d).length > 0, {
    message: "a subject needs at least one digest",
  }),
  annotations: z.record(z.string(), z.unknown()).optional(),
});
export type Subject = z.infer<typeof SubjectSchema>;

export const StatementSchema = z.object({
  _type: z.literal(STATEMENT_TYPE),
  subject: z.array(SubjectSchema).min(1, { message: "expected at least one subject" }),
  predicateType: z.string().min(1),
  predicate: z.record(z.string(), z.unknown()),
});
export type Statement<P = Record<string, unknown>> = Omit<
  z.infer<typeof StatementSchema>,
  "predicate"
> & { predicate: P };
