import * as z from "zod/mini";
import { ResourceDescriptorSchema } from "./statement.js";

export const SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1";

/** RFC 3339 with a mandatory zone designator (Z or an offset). */
const Timestamp = z.iso.datetime({ offset: true, message: "expected an RFC 3339 timestamp" });

const JsonObject = z.record(z.string(), z.unknown());

// SLSA v1.0 lets producers add `<vendor>_<name>` extension fields to any
// object, so the objects are loose; the required fields are not.
export const BuilderSchema = z.looseObject({
  id: z.string().check(z.minLength(1)),
  version: z.optional(z.record(z.string(), z.string())),
  builderDependencies: z.optional(z.array(ResourceDescriptorSchema)),
});

export const BuildMetadataSchema = z.looseObject({
  invocationId: z.optional(z.string()),
  startedOn: z.optional(Timestamp),
  finishedOn: z.optional(Timestamp),
});

export const BuildDefinitionSchema = z.looseObject({
  buildType: z.string().check(z.minLength(1)),
  externalParameters: JsonObject,
  internalParameters: z.optional(JsonObject),
  resolvedDependencies: z.optional(z.array(ResourceDescriptorSchema)),
});

export const RunDetailsSchema = z.looseObject({
  builder: BuilderSchema,
  metadata: z.optional(BuildMetadataSchema),
  byproducts: z.optional(z.array(ResourceDescriptorSchema)),
});

export const ProvenanceSchema = z.looseObject({
  buildDefinition: BuildDefinitionSchema,
  runDetails: RunDetailsSchema,
});

export type Builder = z.infer<typeof BuilderSchema>;
export type BuildMetadata = z.infer<typeof BuildMetadataSchema>;
export type BuildDefinition = z.infer<typeof BuildDefinitionSchema>;
export type RunDetails = z.infer<typeof RunDetailsSchema>;
export type Provenance = z.infer<typeof ProvenanceSchema>;

/** Timestamp's rule as a predicate (the hand-written provenance check borrows it). */
export function isTimestamp(value: string): boolean {
  return z.safeParse(Timestamp, value).success;
}
