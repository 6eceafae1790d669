import * as z from "zod/mini";
import { DigestSetSchema } from "./digest.js";
import { isDigestValue } from "./digest-values.js";

export const STATEMENT_TYPE = "https://in-toto.io/Statement/v1";

/** in-toto ResourceDescriptor v1: at least one of uri, digest, content. */
export const ResourceDescriptorSchema = z
  .looseObject({
    uri: z.optional(z.string().check(z.minLength(1))),
    digest: z.optional(DigestSetSchema),
    name: z.optional(z.string()),
    downloadLocation: z.optional(z.string()),
    mediaType: z.optional(z.string()),
    content: z.optional(z.string()),
    annotations: z.optional(z.record(z.string(), z.unknown())),
  })
  .check(
    z.refine((rd) => rd.uri !== undefined || rd.digest !== undefined || rd.content !== undefined, {
      message: "a resource descriptor needs at least one of uri, digest, content",
    }),
  );
export type ResourceDescriptor = z.infer<typeof ResourceDescriptorSchema>;

/** Statement subjects must carry a digest (in-toto Statement v1). */
export const SubjectSchema = z.looseObject({
  name: z.optional(z.string()),
  uri: z.optional(z.string()),
  digest: DigestSetSchema.check(
    z.refine((d) => Object.keys(d).length > 0, { message: "a subject needs at least one digest" }),
  ),
  annotations: z.optional(z.record(z.string(), z.unknown())),
});
export type Subject = z.infer<typeof SubjectSchema>;

export const StatementSchema = z.object({
  _type: z.literal(STATEMENT_TYPE),
  subject: z.array(SubjectSchema).check(z.minLength(1, { message: "expected at least one subject" })),
  predicateType: z.string().check(z.minLength(1)),
  predicate: z.record(z.string(), z.unknown()),
});
/** The statement with its subjects left to `subjectsAreWellFormed` (the fast path for large releases). */
export const StatementShellSchema = z.object({
  _type: z.literal(STATEMENT_TYPE),
  subject: z.array(z.unknown()).check(z.minLength(1, { message: "expected at least one subject" })),
  predicateType: z.string().check(z.minLength(1)),
  predicate: z.record(z.string(), z.unknown()),
});

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/**
 * The same rules as SubjectSchema, written by hand for speed: a release's
 * statement can name 100,000 subjects, and checking each through zod cost
 * several times more than building the subject index. Callers fall back to
 * SubjectSchema when this says no, for its precise error message.
 */
export function subjectsAreWellFormed(subjects: readonly unknown[]): boolean {
  for (const subject of subjects) {
    if (!isRecord(subject)) return false;
    const { name, uri, digest, annotations } = subject;
    if ((name !== undefined && typeof name !== "string") || (uri !== undefined && typeof uri !== "string")) return false;
    if (annotations !== undefined && !isRecord(annotations)) return false;
    if (!isRecord(digest)) return false;
    let algorithms = 0;
    for (const algorithm in digest) {
      if (!Object.hasOwn(digest, algorithm)) continue;
      algorithms++;
      if (algorithm === "" || !isDigestValue(algorithm, digest[algorithm])) return false;
    }
    if (algorithms === 0) return false;
  }
  return true;
}

export type Statement<P = Record<string, unknown>> = Omit<
  z.infer<typeof StatementSchema>,
  "predicate"
> & { predicate: P };
