import { ProvenantError } from "../error.js";
import { parseWith } from "../schemas/parse.js";
import { fastProvenance } from "../schemas/fast.js";
import { isTimestamp, type Provenance, ProvenanceSchema } from "../schemas/provenance.js";

// The field names SLSA v1.0 defines on the structural objects. Their
// contents (externalParameters and the like) are free-form and may use any
// case, as GitHub's own `internalParameters.github.event_name` does.
const KNOWN_FIELDS: Record<string, readonly string[]> = {
  predicate: ["buildDefinition", "runDetails"],
  buildDefinition: ["buildType", "externalParameters", "internalParameters", "resolvedDependencies"],
  runDetails: ["builder", "metadata", "byproducts"],
  builder: ["id", "version", "builderDependencies"],
  metadata: ["invocationId", "startedOn", "finishedOn"],
  resourceDescriptor: [
    "uri",
    "digest",
    "name",
    "downloadLocation",
    "mediaType",
    "content",
    "annotations",
  ],
};

// Memoized: extension fields such as \`provenant_facts_source\` are met on
// every verification, and the replace was a measurable share of one.
// Bounded, so that hostile input cannot grow it.
const camelCases = new Map<string, string>();

function camelCase(name: string): string {
  let camel = camelCases.get(name);
  if (camel === undefined) {
    camel = name.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
    if (camelCases.size >= 1024) camelCases.clear();
    camelCases.set(name, camel);
  }
  return camel;
}

function checkCase(value: unknown, kind: string, where: string | (() => string)): void {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return;
  const known = KNOWN_FIELDS[kind]!;
  for (const key in value) {
    if (!Object.hasOwn(value, key) || !key.includes("_")) continue;
    const camel = camelCase(key);
    if (camel !== key && known.includes(camel)) {
      throw new ProvenantError(
        "PROVENANCE_FIELD_CASE",
        `provenance: ${typeof where === "string" ? where : where()}${where ? "." : ""}${key}: SLSA v1.0 field names are camelCase; expected "${camel}"`,
      );
    }
  }
}

function checkDescriptors(list: unknown, where: string): void {
  if (!Array.isArray(list)) return;
  // The path is built only for an error: this runs on every verification.
  for (let i = 0; i < list.length; i++) checkCase(list[i], "resourceDescriptor", () => `${where}[${i}]`);
}

/**
 * Validates SLSA v1.0 provenance, ours or a foreign producer's: required
 * fields, camelCase names (a snake_case `build_type` is reported as such,
 * not as a missing field), RFC 3339 timestamps and lowercase hex digests.
 */
export function parseProvenance(predicate: unknown): Provenance {
  const p = predicate as Record<string, Record<string, unknown>> | undefined;
  checkCase(p, "predicate", "");
  checkCase(p?.buildDefinition, "buildDefinition", "buildDefinition");
  checkDescriptors(p?.buildDefinition?.resolvedDependencies, "buildDefinition.resolvedDependencies");
  checkCase(p?.runDetails, "runDetails", "runDetails");
  const runDetails = p?.runDetails as Record<string, Record<string, unknown>> | undefined;
  checkCase(runDetails?.builder, "builder", "runDetails.builder");
  checkDescriptors(runDetails?.builder?.builderDependencies, "runDetails.builder.builderDependencies");
  checkCase(runDetails?.metadata, "metadata", "runDetails.metadata");
  checkDescriptors(runDetails?.byproducts, "runDetails.byproducts");
  // The hand-written twin first (verification's hot path); zod decides and words the error.
  return (fastProvenance(predicate, isTimestamp) as Provenance | undefined) ?? parseWith(ProvenanceSchema, predicate, "MALFORMED_PROVENANCE", "provenance");
}
