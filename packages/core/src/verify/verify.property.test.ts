import { generateKeyPairSync } from "node:crypto";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { BUILD_TYPES, FACTS_SOURCE_FIELD } from "../buildtypes.js";
import { keySigner } from "../dsse/signer.js";
import { keyIdOf } from "../keys/algorithms.js";
import type { Policy } from "../policy/policy.js";
import { attest } from "../statement/attest.js";
import { type VerificationReport, type VerifyOptions, verify } from "./verify.js";

// Property-based tests (issue 2, section 6): random mutations of a valid bundle
// never verify and never make verify() throw. Runs are bounded (a few hundred
// cases per property) so that the whole file stays well under 20 s.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = readonly (string | number)[];

const ARTIFACT_SHA256 = "5f".repeat(32);
const COMMIT = "0123456789abcdef0123456789abcdef01234567";
const RUNS = 300;

// Shaped like a GitLab CI job's provenance (docs/buildtypes/gitlab-ci-v1.md):
// a hosted platform with token-verified facts, so every policy check applies.
const provenance = {
  buildDefinition: {
    buildType: BUILD_TYPES.gitlab,
    externalParameters: { project: "acme/app", ref: "refs/heads/main" },
    internalParameters: { pipeline_id: "42" },
    resolvedDependencies: [
      { uri: "git+https://gitlab.example.com/acme/app@refs/heads/main", digest: { gitCommit: COMMIT } },
    ],
  },
  runDetails: {
    builder: { id: "https://gitlab.example.com/runners/shared" },
    metadata: { invocationId: "https://gitlab.example.com/acme/app/-/jobs/7", [FACTS_SOURCE_FIELD]: "oidc-token" },
  },
};

const policy: Policy = {
  builderId: "https://gitlab.example.com/runners/shared",
  sourceUri: "gitlab.example.com/acme/*",
  sourceBranch: "main",
};

const keys = { "ecdsa-p256": generateKeyPairSync("ec", { namedCurve: "P-256" }), ed25519: generateKeyPairSync("ed25519") };
type KeyName = keyof typeof keys;
const KEY_NAMES = Object.keys(keys) as KeyName[];

const options: VerifyOptions = {
  trustedKeys: Object.values(keys).map(({ publicKey }) => ({ publicKey, keyId: keyIdOf(publicKey) })),
  artifactDigests: [{ sha256: ARTIFACT_SHA256 }],
  policy,
};

/** The valid bundle per key, as JSON a reader would have parsed from disk. */
const bundles = {} as Record<KeyName, Json>;
let originalReport: Record<KeyName, VerificationReport>;

beforeAll(async () => {
  for (const name of KEY_NAMES) {
    const { bundle } = await attest(
      [{ name: "app.tgz", digest: { sha256: ARTIFACT_SHA256 } }],
      provenance,
      keySigner(keys[name].privateKey),
    );
    bundles[name] = JSON.parse(JSON.stringify(bundle));
  }
  originalReport = Object.fromEntries(KEY_NAMES.map((name) => [name, verify(bundles[name], options)])) as Record<
    KeyName,
    VerificationReport
  >;
});

// ---------------------------------------------------------------- mutations

function get(value: Json, path: Path): Json | undefined {
  let current: Json | undefined = value;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, Json>)[key];
  }
  return current;
}

/** A deep copy with the value at `path` replaced, or removed when `replacement` is undefined. */
function setAt(value: Json, path: Path, replacement: Json | undefined): Json {
  const copy = structuredClone(value);
  if (path.length === 0) return replacement ?? null;
  const parent = get(copy, path.slice(0, -1)) as Record<string | number, Json> | Json[];
  const last = path[path.length - 1]!;
  if (replacement !== undefined) (parent as Record<string | number, Json>)[last] = replacement;
  else if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else delete (parent as Record<string | number, Json>)[last];
  return copy;
}

/** Every path in the document, containers included. */
function pathsOf(value: Json, prefix: Path = []): Path[] {
  const paths: Path[] = [prefix];
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      paths.push(...pathsOf(item, [...prefix, i]));
    });
  } else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) paths.push(...pathsOf(item, [...prefix, key]));
  }
  return paths;
}

const anyChar = fc.oneof(
  fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ \n\\\"\u0000é"),
  fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
);

type StringEdit =
  | { kind: "replace" | "insert"; at: number; char: string }
  | { kind: "delete"; at: number; length: number }
  | { kind: "truncate"; at: number }
  | { kind: "case" };

const stringEdit: fc.Arbitrary<StringEdit> = fc.oneof(
  fc.record({ kind: fc.constantFrom("replace" as const, "insert" as const), at: fc.nat(), char: anyChar }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("case" as const) }),
);

function applyStringEdit(text: string, edit: StringEdit): string {
  const at = edit.kind === "case" ? 0 : edit.at % (text.length + 1);
  switch (edit.kind) {
    case "replace":
      return text.slice(0, at) + edit.char + text.slice(at + 1);
    case "insert":
      return text.slice(0, at) + edit.char + text.slice(at);
    case "delete":
      return text.slice(0, at) + text.slice(at + edit.length);
    case "truncate":
      return text.slice(0, at);
    case "case":
      return text === text.toUpperCase() ? text.toLowerCase() : text.toUpperCase();
  }
}

type ByteEdit = { kind: "flip"; at: number; mask: number } | { kind: "insert"; at: number; byte: number } | { kind: "delete"; at: number };

const byteEdit: fc.Arbitrary<ByteEdit> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat() }),
);

/** Edits the decoded bytes and re-encodes canonically: valid base64, different content. */
function applyByteEdit(base64: string, edit: ByteEdit): string {
  const bytes = [...Buffer.from(base64, "base64")];
  const at = edit.at % (bytes.length + (edit.kind === "insert" ? 1 : 0));
  if (edit.kind === "flip") bytes[at] = bytes[at]! ^ edit.mask;
  else if (edit.kind === "insert") bytes.splice(at, 0, edit.byte);
  else bytes.splice(at, 1);
  return Buffer.from(bytes).toString("base64");
}

const REENCODINGS = ["unpadded", "url-safe", "line-wrapped", "extra padding", "unused bits set", "surrounding space"] as const;
type Reencoding = (typeof REENCODINGS)[number];

/** The same bytes spelled another way: tolerated by lax decoders, refused by Provenant. */
function reencode(base64: string, how: Reencoding): string {
  switch (how) {
    case "unpadded":
      return base64.replace(/=+$/, "");
    case "url-safe":
      return base64.replaceAll("+", "-").replaceAll("/", "_");
    case "line-wrapped":
      return base64.replace(/(.{16})/g, "$1\n");
    case "extra padding":
      return `${base64}==`;
    case "surrounding space":
      return ` ${base64} `;
    case "unused bits set": {
      const padding = base64.length - base64.replace(/=+$/, "").length;
      if (padding === 0) return base64;
      const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
      const index = base64.length - padding - 1;
      const value = alphabet.indexOf(base64[index]!) | (padding === 2 ? 0b1111 : 0b11);
      return base64.slice(0, index) + alphabet[value] + base64.slice(index + 1);
    }
  }
}

const ENVELOPE = ["dsseEnvelope"] as const;
const SIGNATURE = [...ENVELOPE, "signatures", 0] as const;

/** Strings whose every change must make verification fail. */
const SIGNED_OR_BINDING_STRINGS: Path[] = [
  ["mediaType"],
  ["verificationMaterial", "publicKey", "hint"],
  [...ENVELOPE, "payload"],
  [...ENVELOPE, "payloadType"],
  [...SIGNATURE, "sig"],
  [...SIGNATURE, "keyid"],
];
const BASE64_FIELDS: Path[] = [
  [...ENVELOPE, "payload"],
  [...SIGNATURE, "sig"],
];
/** Fields a bundle cannot do without. (keyid may go: DSSE makes it optional.) */
const REQUIRED_FIELDS: Path[] = [
  ["mediaType"],
  ["verificationMaterial"],
  ["verificationMaterial", "publicKey"],
  ["verificationMaterial", "publicKey", "hint"],
  [...ENVELOPE],
  [...ENVELOPE, "payload"],
  [...ENVELOPE, "payloadType"],
  [...ENVELOPE, "signatures"],
  [...SIGNATURE],
  [...SIGNATURE, "sig"],
];

/** Both forms verify() reads: the bundle, and the bare envelope of a .intoto.jsonl line. */
const document = fc.record({
  key: fc.constantFrom(...KEY_NAMES),
  form: fc.constantFrom("bundle" as const, "envelope" as const),
});

function formOf(key: KeyName, form: "bundle" | "envelope"): { value: Json; prefix: number } {
  return form === "bundle"
    ? { value: bundles[key], prefix: 0 }
    : { value: get(bundles[key], ENVELOPE)!, prefix: ENVELOPE.length };
}

/** Paths are written for the bundle; for a bare envelope keep those inside it. */
function pathsFor(paths: Path[], form: "bundle" | "envelope"): Path[] {
  if (form === "bundle") return paths;
  return paths.filter((p) => p[0] === ENVELOPE[0] && p.length > ENVELOPE.length).map((p) => p.slice(ENVELOPE.length));
}

/** Never throws (the property), and returns the report for further checks. */
function verifyNeverThrows(value: unknown): VerificationReport {
  const report = verify(value, options);
  expect(typeof report.verified).toBe("boolean");
  expect(report.checks.length).toBeGreaterThan(0);
  if (!report.verified) {
    const failed = report.checks.filter((c) => c.status === "fail");
    expect(failed.length).toBeGreaterThan(0);
    for (const check of failed) expect(check.code, `${check.id}: ${check.reason}`).toMatch(/^[A-Z][A-Z0-9_]+$/);
  }
  return report;
}

function mustNotVerify(value: unknown): void {
  const report = verifyNeverThrows(value);
  expect(report.verified, JSON.stringify(report.checks)).toBe(false);
}

/** A mutation that still verifies must carry exactly what the trusted key signed. */
function verifiesOnlyAsSigned(value: unknown, key: KeyName): void {
  const report = verifyNeverThrows(value);
  if (report.verified) {
    expect(report.statement).toEqual(originalReport[key].statement);
    expect(report.signedBy).toEqual(originalReport[key].signedBy);
  }
}

// ---------------------------------------------------------------- properties

describe("verify() on mutated bundles", () => {
  it("verifies the unmutated bundles (the properties below start from valid input)", () => {
    for (const name of KEY_NAMES) {
      expect(originalReport[name].verified, JSON.stringify(originalReport[name].checks)).toBe(true);
      expect(verify(get(bundles[name], ENVELOPE), options).verified).toBe(true);
    }
  });

  it("never verifies when a signed or key-binding string is edited (payload, sig, keyid, hint, mediaType, payloadType)", () => {
    fc.assert(
      fc.property(document, fc.nat(), stringEdit, ({ key, form }, pick, edit) => {
        const { value } = formOf(key, form);
        const paths = pathsFor(SIGNED_OR_BINDING_STRINGS, form);
        const path = paths[pick % paths.length]!;
        const original = get(value, path) as string;
        const edited = applyStringEdit(original, edit);
        fc.pre(edited !== original);
        // An emptied keyid means "no key id" in DSSE: the signature is then
        // tried against every trusted key, which is not a forgery. An emptied
        // hint likewise means "no hint" (bundle.ts compares only a non-empty
        // one): the same trusted key still signed the same payload.
        fc.pre(!(["keyid", "hint"].includes(path[path.length - 1] as string) && edited === ""));
        mustNotVerify(setAt(value, path, edited));
      }),
      { numRuns: RUNS },
    );
  });

  it("never verifies when the payload or signature bytes change, even as valid canonical base64", () => {
    fc.assert(
      fc.property(document, fc.constantFrom(0, 1), byteEdit, ({ key, form }, which, edit) => {
        const { value } = formOf(key, form);
        const path = pathsFor(BASE64_FIELDS, form)[which]!;
        const edited = applyByteEdit(get(value, path) as string, edit);
        mustNotVerify(setAt(value, path, edited));
      }),
      { numRuns: RUNS },
    );
  });

  it("never verifies the same bytes re-encoded as non-canonical base64", () => {
    fc.assert(
      fc.property(document, fc.constantFrom(0, 1), fc.constantFrom(...REENCODINGS), ({ key, form }, which, how) => {
        const { value } = formOf(key, form);
        const path = pathsFor(BASE64_FIELDS, form)[which]!;
        const original = get(value, path) as string;
        const edited = reencode(original, how);
        fc.pre(edited !== original);
        mustNotVerify(setAt(value, path, edited));
      }),
      { numRuns: 100 },
    );
  });

  it("never verifies when a required field is dropped or holds another JSON type", () => {
    const kindOf = (v: unknown) => (Array.isArray(v) ? "array" : v === null ? "null" : typeof v);
    const replacement = fc.oneof(
      fc.constant(null),
      fc.boolean(),
      fc.integer(),
      fc.string(),
      fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
      fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
    );
    fc.assert(
      fc.property(document, fc.nat(), fc.option(replacement, { nil: undefined }), ({ key, form }, pick, other) => {
        const { value } = formOf(key, form);
        const paths = pathsFor(REQUIRED_FIELDS, form);
        const path = paths[pick % paths.length]!;
        // undefined drops the field; anything else must be of another JSON type.
        fc.pre(other === undefined || kindOf(other) !== kindOf(get(value, path)));
        mustNotVerify(setAt(value, path, other as Json | undefined));
      }),
      { numRuns: RUNS },
    );
  });

  it("never verifies when a duplicated JSON key overrides a signed field", () => {
    // JSON.parse keeps the last of duplicate keys; a later duplicate with
    // another value is what verify() sees, and it must not pass.
    fc.assert(
      fc.property(fc.constantFrom(...KEY_NAMES), fc.constantFrom("payload", "payloadType", "sig", "keyid"), stringEdit, (key, field, edit) => {
        const text = JSON.stringify(bundles[key]);
        const match = new RegExp(`"${field}":("(?:[^"\\\\]|\\\\.)*")`).exec(text)!;
        const original = JSON.parse(match[1]!) as string;
        const edited = applyStringEdit(original, edit);
        fc.pre(edited !== original && !(field === "keyid" && edited === ""));
        const duplicated = text.replace(match[0], `${match[0]},"${field}":${JSON.stringify(edited)}`);
        mustNotVerify(JSON.parse(duplicated));
      }),
      { numRuns: RUNS },
    );
  });

  it("never throws, and verifies only as signed, after any edit anywhere in the document", () => {
    fc.assert(
      fc.property(
        document,
        fc.nat(),
        fc.oneof(
          fc.record({ kind: fc.constant("drop" as const) }),
          fc.record({ kind: fc.constant("replace" as const), with: fc.jsonValue({ maxDepth: 3 }) }),
          fc.record({ kind: fc.constant("duplicate" as const) }),
          fc.record({ kind: fc.constant("edit string" as const), edit: stringEdit }),
        ),
        ({ key, form }, pick, mutation) => {
          const { value } = formOf(key, form);
          const paths = pathsOf(value);
          const path = paths[pick % paths.length]!;
          const target = get(value, path)!;
          let mutated: Json;
          if (mutation.kind === "drop") mutated = setAt(value, path, undefined);
          else if (mutation.kind === "replace") mutated = setAt(value, path, mutation.with as Json);
          else if (mutation.kind === "duplicate") {
            // Arrays gain a second copy of an element; objects a copy of a field under another name.
            const parentPath = path.slice(0, -1);
            const parent = get(value, parentPath);
            mutated = Array.isArray(parent)
              ? setAt(value, parentPath, [...parent, structuredClone(target)])
              : setAt(value, [...parentPath, `${String(path[path.length - 1] ?? "root")}Copy`], target);
          } else {
            mutated = typeof target === "string" ? setAt(value, path, applyStringEdit(target, mutation.edit)) : value;
          }
          verifiesOnlyAsSigned(mutated, key);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("never throws on random edits of the serialised bytes that still parse as JSON", () => {
    fc.assert(
      fc.property(fc.constantFrom(...KEY_NAMES), stringEdit, (key, edit) => {
        const text = JSON.stringify(bundles[key]);
        let parsed: unknown;
        try {
          parsed = JSON.parse(applyStringEdit(text, edit));
        } catch {
          return; // Not JSON: the CLI reports MALFORMED_JSON before verify() is reached.
        }
        verifiesOnlyAsSigned(parsed, key);
      }),
      { numRuns: RUNS },
    );
  });

  it("never throws on arbitrary JSON values in place of the bundle", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        mustNotVerify(value);
      }),
      { numRuns: RUNS },
    );
  });
});
