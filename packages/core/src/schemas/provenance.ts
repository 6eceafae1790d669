import { z } from "zod";
import { ResourceDescriptorSchema } from "./statement.js";

export const SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1";

/** RFC 3339 with a mandatory zone designator (Z or an offset). */
const Timestamp = z.iso.datetime({ offset: true, message: "expected an RFC 3339 timestamp" });

const JsonObject = z.record(z.string(), z.unknown());

// SLSA v1.0 lets producers add `<vendor>_<name>` extension fields to any
// object, so the objects are loose; the required fields are not.
export const BuilderSchema = z.looseObject({
  id: z.string().min(1),
  version: z.record(z.string(), z.string()).optional(),
  builderDependencies: z.array(ResourceDescriptorSchema).optional(),
});

export const BuildMetadataSchema = z.looseObject({
  invocationId: z.string().optional(),
  startedOn: Timestamp.optional(),
  finishedOn: Timestamp.optional(),
});

export const BuildDefinitionSchema = z.looseObject({
  buildType: z.string().min(1),
  externalParameters: JsonObject,
  internalParameters: JsonObject.optional(),
  resolvedDependencies: z.array(ResourceDescriptorSchema).optional(),
});

export const RunDetailsSchema = z.looseObject({
  builder: BuilderSchema,
  metadata: BuildMetadataSchema.optional(),
  byproducts: z.array(ResourceDescriptorSchema).optional(),
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
