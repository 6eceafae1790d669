import { describe, expect, it } from "vitest";
import { isProvenantError } from "../error.js";
import { buildStatement } from "../statement/build.js";
import { SHA_A, sampleProvenance } from "../test-support.js";
import { parseProvenance } from "./validate.js";

function codeOf(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    if (isProvenantError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  return undefined;
}

describe("parseProvenance", () => {
  it("accepts a foreign producer's extension fields", () => {
    const p = sampleProvenance();
    (p.runDetails as Record<string, unknown>).acme_extra = { any: "thing" };
    expect(parseProvenance(p).runDetails.builder.id).toBe("https://gitlab.example.com/runners/shared");
  });

  it("names a snake_case field and its camelCase spelling", () => {
    const p = sampleProvenance() as unknown as Record<string, Record<string, unknown>>;
    p.buildDefinition!.build_type = p.buildDefinition!.buildType;
    delete p.buildDefinition!.buildType;
    expect(codeOf(() => parseProvenance(p))).toEqual({
      code: "PROVENANCE_FIELD_CASE",
      message: 'provenance: buildDefinition.build_type: SLSA v1.0 field names are camelCase; expected "buildType"',
    });
  });

  it("requires RFC 3339 timestamps with a zone", () => {
    const p = sampleProvenance();
    p.runDetails.metadata!.startedOn = "2026-11-01 10:00:00";
    const error = codeOf(() => parseProvenance(p));
    expect(error?.code).toBe("MALFORMED_PROVENANCE");
    expect(error?.message).toContain("runDetails.metadata.startedOn");
    p.runDetails.metadata!.startedOn = "2026-11-01T10:00:00+02:00";
    expect(parseProvenance(p).runDetails.metadata?.startedOn).toBe("2026-11-01T10:00:00+02:00");
  });

  it("requires lowercase hex digests of the right length", () => {
    const p = sampleProvenance();
    p.buildDefinition.resolvedDependencies![0]!.digest = { gitCommit: "ABCDEF".repeat(7).slice(0, 40) };
    expect(codeOf(() => parseProvenance(p))?.message).toMatch(/lowercase hex/);
    p.buildDefinition.resolvedDependencies![0]!.digest = { gitCommit: "abc" };
    expect(codeOf(() => parseProvenance(p))?.message).toMatch(/40 or 64 hex/);
  });

  it("requires builder.id and buildType", () => {
    const p = sampleProvenance() as unknown as { runDetails: { builder: Record<string, unknown> } };
    delete p.runDetails.builder.id;
    expect(codeOf(() => parseProvenance(p))?.message).toContain("runDetails.builder.id");
  });
});

describe("buildStatement", () => {
  it("refuses an empty subject list", () => {
    expect(codeOf(() => buildStatement([], sampleProvenance()))?.code).toBe("EMPTY_SUBJECTS");
  });

  it("refuses an uppercase subject digest", () => {
    expect(codeOf(() => buildStatement([{ name: "x", digest: { sha256: SHA_A.toUpperCase() } }], sampleProvenance()))?.code).toBe(
      "INVALID_DIGEST",
    );
  });

  it("names the first bad subject of a long list by its index and name", () => {
    const subjects = Array.from({ length: 1000 }, (_, i) => ({ name: `f${i}`, digest: { sha256: SHA_A } }));
    subjects[637] = { name: "f637", digest: { sha256: "abc" } };
    const error = codeOf(() => buildStatement(subjects, sampleProvenance()));
    expect(error?.code).toBe("INVALID_DIGEST");
    expect(error?.message).toContain("subject[637] f637");
  });

  it("produces a Statement v1 with the SLSA predicate type", () => {
    const s = buildStatement([{ name: "x", digest: { sha256: SHA_A } }], sampleProvenance());
    expect(s._type).toBe("https://in-toto.io/Statement/v1");
    expect(s.predicateType).toBe("https://slsa.dev/provenance/v1");
  });
});
