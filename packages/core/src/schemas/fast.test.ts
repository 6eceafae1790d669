import fc from "fast-check";
import * as z from "zod/mini";
import { describe, expect, it } from "vitest";
import { parseBundle } from "../bundle/bundle.js";
import { parsePolicy, PolicySchema } from "../policy/policy.js";
import { parseSourcePattern } from "../policy/source-match.js";
import { parseProvenance } from "../provenance/validate.js";
import { parseStatement } from "../statement/build.js";
import { COMMIT, SHA_A, sampleProvenance } from "../test-support.js";
import { BUNDLE_V03_MEDIA_TYPE, BundleSchema } from "./bundle.js";
import { EnvelopeSchema } from "./dsse.js";
import { fastBundle, fastEnvelope, fastProvenance, fastStatementShell, sharingInput } from "./fast.js";
import { jsonTextDepth, jsonTextTooDeep, valueDepthExceeds } from "./parse.js";
import { isTimestamp, ProvenanceSchema } from "./provenance.js";
import { STATEMENT_TYPE, StatementShellSchema } from "./statement.js";

// The hand-written twins of the schemas (issue 14) must decide exactly as
// zod does on JSON documents and return what zod returns, key order
// included (JSON output prints it). Checked on every single-field mutation
// of full documents, and on random ones.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = (string | number)[];

const REPLACEMENTS: Json[] = [null, true, 0, 1, 2.5, -1, "", "x", "AB", SHA_A, SHA_A.toUpperCase(), [], [1], {}, { a: 1 }, "2026-11-01T10:00:00Z", "2026-13-01T10:00:00Z"];

/** Every path in the document, objects' keys and arrays' indices. */
function pathsOf(value: Json, prefix: Path = []): Path[] {
  const paths: Path[] = [prefix];
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) paths.push(...pathsOf(item, [...prefix, i]));
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) paths.push(...pathsOf(v, [...prefix, k]));
  }
  return paths;
}

function withAt(value: Json, path: Path, replace: (old: Json) => Json | undefined): Json {
  if (path.length === 0) return replace(value) as Json;
  const copy: Json = Array.isArray(value) ? [...value] : { ...(value as Record<string, Json>) };
  const [head, ...rest] = path;
  const next = withAt((copy as Record<string | number, Json>)[head!]!, rest, replace);
  if (next === undefined) {
    if (Array.isArray(copy)) copy.splice(head as number, 1);
    else delete (copy as Record<string, Json>)[head as string];
  } else (copy as Record<string | number, Json>)[head!] = next;
  return copy;
}

/** The same document with every object's keys in reverse order (zod's output puts them back in the schema's). */
function reversedKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reversedKeys(v)]));
}

/** The document with one field deleted, replaced by each odd value, or given an extra key, first or last; and all that with keys reversed. */
function mutationsOf(document: Json): Json[] {
  return [...mutationsInOrder(document), ...mutationsInOrder(reversedKeys(document))];
}

function mutationsInOrder(document: Json): Json[] {
  const out: Json[] = [document];
  for (const path of pathsOf(document)) {
    if (path.length > 0) out.push(withAt(document, path, () => undefined));
    for (const replacement of REPLACEMENTS) out.push(withAt(document, path, () => replacement));
    out.push(withAt(document, path, (old) => (old !== null && typeof old === "object" && !Array.isArray(old) ? { ...old, extra_field: "e" } : old)));
    out.push(withAt(document, path, (old) => (old !== null && typeof old === "object" && !Array.isArray(old) ? { extra_first: "e", ...old } : old)));
  }
  return out;
}

function expectSameAsZod(schema: z.ZodMiniType, fast: (value: unknown) => unknown, documents: readonly Json[]): { accepted: number } {
  let accepted = 0;
  for (const document of documents) {
    const result = z.safeParse(schema, document);
    const twin = fast(document);
    expect({ document, accepted: twin !== undefined }).toEqual({ document, accepted: result.success });
    if (result.success) {
      accepted++;
      expect(JSON.stringify(twin)).toBe(JSON.stringify(result.data));
    }
  }
  return { accepted };
}

const envelope = {
  payloadType: "application/vnd.in-toto+json",
  payload: "eyJhIjoxfQ==",
  signatures: [{ sig: "MEUCIQ==", keyid: "abc", note: "dropped" }],
};

describe("hand-written schema twins", () => {
  it("decide every mutation of a DSSE envelope as EnvelopeSchema does, with the same output", () => {
    const { accepted } = expectSameAsZod(EnvelopeSchema, fastEnvelope, mutationsOf(envelope));
    expect(accepted).toBeGreaterThan(10);
  });

  it("decide every mutation of Sigstore bundles (public key and certificate forms) as BundleSchema does", () => {
    const keyed = { mediaType: BUNDLE_V03_MEDIA_TYPE, verificationMaterial: { publicKey: { hint: "abc" }, tlogEntries: [{ logIndex: "1" }] }, dsseEnvelope: envelope };
    const chained = {
      dsseEnvelope: envelope,
      mediaType: "application/vnd.dev.sigstore.bundle+json;version=0.2",
      verificationMaterial: { x509CertificateChain: { certificates: [{ rawBytes: "MII=" }] }, timestampVerificationData: { rfc3161Timestamps: [] } },
      extra: 1,
    };
    const certified = { mediaType: BUNDLE_V03_MEDIA_TYPE, verificationMaterial: { certificate: { rawBytes: "MII=" } }, messageSignature: {} };
    const { accepted } = expectSameAsZod(BundleSchema, fastBundle, [keyed, chained, certified].flatMap(mutationsOf));
    expect(accepted).toBeGreaterThan(30);
  });

  it("decide every mutation of SLSA provenance as ProvenanceSchema does, with the same output", () => {
    const full = sampleProvenance() as unknown as Record<string, Json>;
    const withEverything = withAt(full as Json, ["runDetails"], (old) => ({
      ...(old as Record<string, Json>),
      byproducts: [{ name: "log", content: "aGk=", mediaType: "text/plain", annotations: { a: 1 } }],
      builder: { id: "https://ci.example/b", version: { ci: "1.2" }, builderDependencies: [{ uri: "oci://img", downloadLocation: "x" }] },
    }));
    const fast = (value: unknown) => fastProvenance(value, isTimestamp);
    const { accepted } = expectSameAsZod(ProvenanceSchema, fast, [full as Json, withEverything].flatMap(mutationsOf));
    expect(accepted).toBeGreaterThan(50);
  });

  it("decide every mutation of a statement's shell as StatementShellSchema does", () => {
    const statement = { _type: STATEMENT_TYPE, subject: [{ name: "a", digest: { sha256: SHA_A } }], predicateType: "https://slsa.dev/provenance/v1", predicate: { a: { b: 1 } } };
    const { accepted } = expectSameAsZod(StatementShellSchema, fastStatementShell, mutationsOf(statement));
    expect(accepted).toBeGreaterThan(10);
  });

  it("decide random JSON values as the schemas do", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        const json = value as Json;
        expectSameAsZod(EnvelopeSchema, fastEnvelope, [json]);
        expectSameAsZod(BundleSchema, fastBundle, [json]);
        expectSameAsZod(ProvenanceSchema, (v) => fastProvenance(v, isTimestamp), [json]);
        expectSameAsZod(StatementShellSchema, fastStatementShell, [json]);
      }),
      { numRuns: 300 },
    );
  });

  it("parse every mutation of a policy as PolicySchema does", () => {
    const policy = {
      builderId: "https://ci.example/b",
      buildType: "https://ci.example/t",
      sourceUri: "gitlab.example.com/acme/*",
      sourceBranch: "main",
      sourceTag: "v*",
      sourceVersionedTag: "^1.2.0",
      minimumLevel: 2,
      sourceCommit: COMMIT,
      predicateType: "https://slsa.dev/provenance/v1",
      buildInputs: { env: "prod" },
      denySelfHosted: true,
    };
    const odd = [{ ...policy, sourceUri: "gitlab.example.com/../x" }, { ...policy, sourceVersionedTag: "not a range" }, { ...policy, minimumLevel: 4 }, { unknownRule: 1 }];
    for (const document of [...mutationsOf(policy), ...odd]) {
      const result = z.safeParse(PolicySchema, document);
      let parsed: unknown;
      let code: string | undefined;
      try {
        parsed = parsePolicy(document);
      } catch (error) {
        code = (error as { code?: string }).code;
      }
      expect({ document, ok: code === undefined }).toEqual({ document, ok: result.success });
      if (result.success) expect(JSON.stringify(parsed)).toBe(JSON.stringify(result.data));
      else expect(code).toBe("INVALID_POLICY");
    }
  });

  it("leave zod's error message for what they refuse", () => {
    expect(() => parseBundle({ mediaType: BUNDLE_V03_MEDIA_TYPE, verificationMaterial: {}, dsseEnvelope: envelope })).toThrow(
      /expected exactly one of publicKey, x509CertificateChain, certificate/,
    );
    expect(() => parseProvenance({ ...sampleProvenance(), runDetails: { builder: { id: "" } } })).toThrow(/runDetails\.builder\.id/);
    expect(() => parseStatement({ _type: STATEMENT_TYPE, subject: [{ digest: { sha256: "AB" } }], predicateType: "p", predicate: {} })).toThrow(
      /subject\[0\]\.digest\.sha256: expected lowercase hex/,
    );
  });

  it("decide and answer the same when sharing the input's objects, and share them only where nothing changes", () => {
    const keyed = { mediaType: BUNDLE_V03_MEDIA_TYPE, verificationMaterial: { publicKey: { hint: "abc" }, tlogEntries: [{ logIndex: "1" }] }, dsseEnvelope: envelope };
    const full = sampleProvenance() as unknown as Json;
    const statement = { _type: STATEMENT_TYPE, subject: [{ name: "a", digest: { sha256: SHA_A } }], predicateType: "https://slsa.dev/provenance/v1", predicate: { a: { b: 1 } } };
    const shared = <T>(fast: (value: unknown) => T) => (value: unknown) => sharingInput(() => fast(value));
    expectSameAsZod(EnvelopeSchema, shared(fastEnvelope), mutationsOf(envelope));
    expectSameAsZod(BundleSchema, shared(fastBundle), mutationsOf(keyed));
    expectSameAsZod(ProvenanceSchema, shared((v) => fastProvenance(v, isTimestamp)), mutationsOf(full));
    expectSameAsZod(StatementShellSchema, shared(fastStatementShell), mutationsOf(statement));

    // Already zod's form: the input itself. A key to strip (the envelope's
    // signature `note`) or keys out of order: a copy, the input untouched.
    const canonicalEnvelope = { payload: "eyJhIjoxfQ==", payloadType: "application/vnd.in-toto+json", signatures: [{ keyid: "abc", sig: "MEUCIQ==" }] };
    expect(sharingInput(() => fastEnvelope(canonicalEnvelope))).toBe(canonicalEnvelope);
    expect(sharingInput(() => fastProvenance(full, isTimestamp))).toBe(full);
    expect(sharingInput(() => fastStatementShell(statement))).toBe(statement);
    const stripped = sharingInput(() => fastEnvelope(envelope));
    expect(stripped).not.toBe(envelope);
    expect(envelope.signatures[0]).toHaveProperty("note", "dropped");
    const reversed = reversedKeys(full);
    expect(sharingInput(() => fastProvenance(reversed, isTimestamp))).not.toBe(reversed);
    // Outside sharingInput, always a copy.
    expect(fastProvenance(full, isTimestamp)).not.toBe(full);
    expect(fastStatementShell(statement)).not.toBe(statement);
  });

  it("refuse what zod would strip: an own __proto__ key goes through the schema", () => {
    const document = JSON.parse(`{"__proto__": {"polluted": true}, "payloadType": "t", "payload": "", "signatures": [{"sig": "c2ln"}]}`);
    expect(fastEnvelope(document)).toBeUndefined();
    const parsed = z.parse(EnvelopeSchema, document) as Record<string, unknown>;
    expect(Object.hasOwn(parsed, "__proto__")).toBe(false);
  });
});

describe("cached source patterns", () => {
  it("hand each caller its own copy: changing one does not change the next parse", () => {
    const first = parseSourcePattern("github.com/acme/*");
    first.segments.push("changed");
    first.host = "evil.example";
    expect(parseSourcePattern("github.com/acme/*")).toEqual({ host: "github.com", segments: ["acme", "*"] });
  });
});

/** The scan jsonTextDepth replaced: character by character, backslash skipping one. */
function referenceDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "[" || c === "{") deepest = Math.max(deepest, ++depth);
    else if (c === "]" || c === "}") depth--;
  }
  return deepest;
}

describe("JSON depth", () => {
  it("counts text depth as the character-by-character scan did, escapes and broken text included", () => {
    const alphabet = fc.constantFrom('"', "\\", "[", "]", "{", "}", "a", ",", ":");
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 60 }), (chars) => {
        const text = chars.join("");
        expect(jsonTextDepth(text)).toBe(referenceDepth(text));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const text = JSON.stringify(value);
        expect(jsonTextDepth(text)).toBe(referenceDepth(text));
      }),
      { numRuns: 300 },
    );
  });

  it("calls text too deep exactly when its depth passes the limit, brackets in strings counted or not", () => {
    const alphabet = fc.constantFrom('"', "\\", "[", "]", "{", "}", "a", ",");
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 40 }), fc.integer({ min: 0, max: 6 }), (chars, limit) => {
        const text = chars.join("");
        expect(jsonTextTooDeep(text, limit)).toBe(referenceDepth(text) > limit);
      }),
      { numRuns: 3000 },
    );
    expect(jsonTextTooDeep(`${"[".repeat(65)}${"]".repeat(65)}`)).toBe(true);
    expect(jsonTextTooDeep(`["${"[".repeat(100)}"]`)).toBe(false);
  });

  it("refuses values one level deeper than the limit, and only those", () => {
    const nested = (depth: number, leaf: Json): Json => (depth === 0 ? leaf : depth % 2 ? [nested(depth - 1, leaf)] : { k: nested(depth - 1, leaf) });
    expect(valueDepthExceeds(nested(64, 1), 64)).toBe(false);
    expect(valueDepthExceeds(nested(65, 1), 64)).toBe(true);
    expect(valueDepthExceeds(nested(64, {}), 64)).toBe(true);
    expect(valueDepthExceeds(nested(3000, 1), 2000)).toBe(true);
    expect(valueDepthExceeds(nested(2000, 1), 2000)).toBe(false);
    expect(valueDepthExceeds([1, "a", null, [2, { b: [3] }]], 4)).toBe(false);
    expect(valueDepthExceeds([1, "a", null, [2, { b: [[3]] }]], 4)).toBe(true);
  });
});
