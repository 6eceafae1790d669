import { READABLE_BUNDLE_MEDIA_TYPES } from "./bundle.js";
import { isDigestValue } from "./digest-values.js";
import { MAX_SIGNATURES_PER_ENVELOPE } from "./dsse.js";
import { STATEMENT_TYPE } from "./statement.js";

/**
 * Hand-written twins of the zod schemas on verification's hot path (bundle,
 * envelope, statement shell, provenance). Issue 14: verifying one bundle
 * in-process cost zod parsing about a third of the time of the signature
 * check itself, and made `verify` slower than @sigstore/verify.
 *
 * Each function answers `undefined` whenever it is not sure: the caller then
 * parses with the zod schema, which decides and words the error. So a twin
 * may be stricter than its schema (it refuses non-plain objects and any own
 * `__proto__` key, which zod strips) but never more lenient; and when it
 * accepts, it builds what zod would have returned: the schema's keys in the
 * schema's order, then (for loose objects) the other keys, unknown keys of
 * strict-stripping objects dropped. `fast.test.ts` holds both to that on
 * generated documents.
 */

type Json = Record<string, unknown>;

/**
 * When set (only inside `sharingInput`), a twin hands back the input's own
 * objects wherever they are already what zod would build (the schema's keys
 * in its order, nothing to strip), instead of a copy: the output is the same
 * JSON, only not a fresh object. verify uses it for what it owns alone (the
 * statement it just parsed from the payload, the caller's bundle that it
 * reads and drops): copying them was a fifth of verify's time besides the
 * signature check (issue 14).
 */
let sharing = false;

/** Runs `parse` with the twins sharing the input's objects (see `sharing`); zod's fallback still copies. */
export function sharingInput<T>(parse: () => T): T {
  if (sharing) return parse();
  sharing = true;
  try {
    return parse();
  } finally {
    sharing = false;
  }
}

/** A plain object (JSON's kind) without an own `__proto__` key. */
export function isPlainRecord(value: unknown): value is Json {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && !Object.hasOwn(value, "__proto__");
}

const isString = (value: unknown): value is string => typeof value === "string";
const isNonEmptyString = (value: unknown): value is string => typeof value === "string" && value.length > 0;

/**
 * zod's output object: the shape's keys present in the input, in the shape's
 * order (values from `values` when given there), then, when `loose`, every
 * other own key in input order.
 */
function rebuild(input: Json, shape: readonly string[], loose: boolean, values?: Json): Json {
  // Usually the input's keys are in that order already (documents written
  // by zod-checked producers): then a spread copies them as they are, which
  // is several times faster than adding them one by one.
  if (inOrder(input, shape, loose)) {
    // Shared as it is even with symbol keys, which are no JSON; a spread,
    // though, would copy them where zod does not (and the symbol check is a
    // runtime call, a measurable share of verify when made on every object).
    if (sharing && sameValues(input, values)) return input;
    if (Object.getOwnPropertySymbols(input).length === 0) {
      const out: Json = { ...input };
      if (values !== undefined) {
        for (const key in values) if (Object.hasOwn(values, key) && Object.hasOwn(input, key)) out[key] = values[key];
      }
      return out;
    }
  }
  const out: Json = {};
  let copied = 0;
  for (let i = 0; i < shape.length; i++) {
    const key = shape[i]!;
    if (!Object.hasOwn(input, key)) continue;
    out[key] = values !== undefined && Object.hasOwn(values, key) ? values[key] : input[key];
    copied++;
  }
  if (loose) {
    let own = 0;
    for (const key in input) if (Object.hasOwn(input, key)) own++;
    // Only when the input holds keys beyond the shape's (extension fields).
    if (own > copied) {
      for (const key in input) {
        if (Object.hasOwn(input, key) && !shape.includes(key)) out[key] = input[key];
      }
    }
  }
  return out;
}

/** Whether every value in `values` is the input's own (the nested twins shared it). */
function sameValues(input: Json, values: Json | undefined): boolean {
  if (values === undefined) return true;
  for (const key in values) if (Object.hasOwn(values, key) && Object.hasOwn(input, key) && values[key] !== input[key]) return false;
  return true;
}

/** Whether the input's own (string) keys are the shape's, in its order, then (loose only) any others. */
function inOrder(input: Json, shape: readonly string[], loose: boolean): boolean {
  let next = 0;
  let extra = false;
  for (const key in input) {
    if (!Object.hasOwn(input, key)) return false;
    const at = shape.indexOf(key, next);
    if (at >= 0) {
      if (extra) return false;
      next = at + 1;
    } else {
      // Before `next` (out of order) or not in the shape at all.
      if (!loose || shape.includes(key)) return false;
      extra = true;
    }
  }
  return true;
}

/** A record of anything (`z.record(z.string(), z.unknown())`). */
function record(value: unknown): Json | undefined {
  if (!isPlainRecord(value)) return undefined;
  return sharing ? value : { ...value };
}

function stringRecord(value: unknown): Json | undefined {
  if (!isPlainRecord(value)) return undefined;
  for (const key in value) if (!isString(value[key])) return undefined;
  return sharing ? value : { ...value };
}

/** DigestSetSchema: non-empty algorithm names, lowercase hex of the algorithm's length. */
export function digestSet(value: unknown): Json | undefined {
  if (!isPlainRecord(value)) return undefined;
  for (const algorithm in value) {
    if (algorithm === "" || !isDigestValue(algorithm, value[algorithm])) return undefined;
  }
  return sharing ? value : { ...value };
}

/** An optional field: absent (or undefined) is fine, otherwise `check` must accept it. */
function optional(value: unknown, check: (value: unknown) => boolean): boolean {
  return value === undefined || check(value);
}

// ---------------------------------------------------------------- DSSE and bundle

const SIGNATURE_SHAPE = ["keyid", "sig"] as const;
const ENVELOPE_SHAPE = ["payload", "payloadType", "signatures"] as const;

/** EnvelopeSchema (strict-stripping objects). */
export function fastEnvelope(value: unknown): Json | undefined {
  if (!isPlainRecord(value)) return undefined;
  const { payload, payloadType, signatures } = value;
  if (!isString(payload) || !isNonEmptyString(payloadType) || !Array.isArray(signatures)) return undefined;
  if (signatures.length < 1 || signatures.length > MAX_SIGNATURES_PER_ENVELOPE) return undefined;
  const copies: Json[] = [];
  for (const signature of signatures) {
    if (!isPlainRecord(signature)) return undefined;
    if (!optional(signature.keyid, isString) || !isNonEmptyString(signature.sig)) return undefined;
    copies.push(rebuild(signature, SIGNATURE_SHAPE, false));
  }
  const shared = sharing && copies.every((copy, i) => copy === signatures[i]);
  return rebuild(value, ENVELOPE_SHAPE, false, { signatures: shared ? signatures : copies });
}

const RAW_BYTES_SHAPE = ["rawBytes"] as const;
const rawBytes = (value: unknown): Json | undefined =>
  isPlainRecord(value) && isNonEmptyString(value.rawBytes) ? rebuild(value, RAW_BYTES_SHAPE, false) : undefined;

const MATERIAL_SHAPE = ["publicKey", "x509CertificateChain", "certificate", "tlogEntries", "timestampVerificationData"] as const;
const BUNDLE_SHAPE = ["mediaType", "verificationMaterial", "dsseEnvelope", "messageSignature"] as const;

/** BundleSchema (the bundle and its verification material are loose objects). */
export function fastBundle(value: unknown): Json | undefined {
  if (!isPlainRecord(value)) return undefined;
  if (!(READABLE_BUNDLE_MEDIA_TYPES as readonly unknown[]).includes(value.mediaType)) return undefined;
  const material = value.verificationMaterial;
  if (!isPlainRecord(material)) return undefined;
  const { publicKey, x509CertificateChain, certificate, tlogEntries } = material;
  const values: Json = {};
  let identities = 0;
  if (publicKey !== undefined) {
    if (!isPlainRecord(publicKey) || !isString(publicKey.hint)) return undefined;
    values.publicKey = rebuild(publicKey, ["hint"], false);
    identities++;
  }
  if (x509CertificateChain !== undefined) {
    if (!isPlainRecord(x509CertificateChain)) return undefined;
    const certificates = x509CertificateChain.certificates;
    if (!Array.isArray(certificates) || certificates.length === 0) return undefined;
    const copies: Json[] = [];
    for (const one of certificates) {
      const copy = rawBytes(one);
      if (!copy) return undefined;
      copies.push(copy);
    }
    const shared = sharing && copies.every((copy, i) => copy === certificates[i]);
    values.x509CertificateChain = rebuild(x509CertificateChain, ["certificates"], false, { certificates: shared ? certificates : copies });
    identities++;
  }
  if (certificate !== undefined) {
    const copy = rawBytes(certificate);
    if (!copy) return undefined;
    values.certificate = copy;
    identities++;
  }
  if (identities !== 1) return undefined;
  if (tlogEntries !== undefined) {
    if (!Array.isArray(tlogEntries)) return undefined;
    values.tlogEntries = sharing ? tlogEntries : [...tlogEntries];
  }
  let envelope: Json | undefined;
  if (value.dsseEnvelope !== undefined) {
    envelope = fastEnvelope(value.dsseEnvelope);
    if (!envelope) return undefined;
  }
  return rebuild(value, BUNDLE_SHAPE, true, {
    verificationMaterial: rebuild(material, MATERIAL_SHAPE, true, values),
    ...(envelope ? { dsseEnvelope: envelope } : {}),
  });
}

// ---------------------------------------------------------------- statement and provenance

const STATEMENT_SHAPE = ["_type", "subject", "predicateType", "predicate"] as const;

/** StatementShellSchema: the subjects themselves are left to subjectsAreWellFormed. */
export function fastStatementShell(value: unknown): Json | undefined {
  if (!isPlainRecord(value)) return undefined;
  const { _type, subject, predicateType, predicate } = value;
  if (_type !== STATEMENT_TYPE || !Array.isArray(subject) || subject.length === 0 || !isNonEmptyString(predicateType)) return undefined;
  const predicateCopy = record(predicate);
  if (!predicateCopy) return undefined;
  // zod copies the array; the subjects (up to 100,000) are shared, as zod's z.unknown() shares them.
  return rebuild(value, STATEMENT_SHAPE, false, { subject: sharing ? subject : [...subject], predicate: predicateCopy });
}

const DESCRIPTOR_SHAPE = ["uri", "digest", "name", "downloadLocation", "mediaType", "content", "annotations"] as const;

/** ResourceDescriptorSchema: at least one of uri, digest, content. */
function descriptor(value: unknown): Json | undefined {
  if (!isPlainRecord(value)) return undefined;
  const { uri, digest, name, downloadLocation, mediaType, content, annotations } = value;
  if (!optional(uri, isNonEmptyString)) return undefined;
  if (!optional(name, isString) || !optional(downloadLocation, isString) || !optional(mediaType, isString) || !optional(content, isString)) {
    return undefined;
  }
  if (uri === undefined && digest === undefined && content === undefined) return undefined;
  const values: Json = {};
  if (digest !== undefined) {
    const copy = digestSet(digest);
    if (!copy) return undefined;
    values.digest = copy;
  }
  if (annotations !== undefined) {
    const copy = record(annotations);
    if (!copy) return undefined;
    values.annotations = copy;
  }
  return rebuild(value, DESCRIPTOR_SHAPE, true, values);
}

function descriptors(value: unknown): Json[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const copies: Json[] = [];
  let same = true;
  for (const one of value) {
    const copy = descriptor(one);
    if (!copy) return undefined;
    if (copy !== one) same = false;
    copies.push(copy);
  }
  return sharing && same ? value : copies;
}

/**
 * Fills `values[key]` with `parse(input[key])` when the key holds a value;
 * false when that value is refused.
 */
function optionalInto(input: Json, key: string, parse: (value: unknown) => unknown, values: Json): boolean {
  const value = input[key];
  if (value === undefined) return true;
  const parsed = parse(value);
  if (parsed === undefined) return false;
  values[key] = parsed;
  return true;
}

const BUILDER_SHAPE = ["id", "version", "builderDependencies"] as const;
const METADATA_SHAPE = ["invocationId", "startedOn", "finishedOn"] as const;
const DEFINITION_SHAPE = ["buildType", "externalParameters", "internalParameters", "resolvedDependencies"] as const;
const RUN_DETAILS_SHAPE = ["builder", "metadata", "byproducts"] as const;
const PROVENANCE_SHAPE = ["buildDefinition", "runDetails"] as const;

/**
 * ProvenanceSchema. `isTimestamp` is the schema's own RFC 3339 rule, passed
 * in so that there is one definition of it.
 */
export function fastProvenance(value: unknown, isTimestamp: (value: string) => boolean): Json | undefined {
  if (!isPlainRecord(value)) return undefined;
  const definition = value.buildDefinition;
  const runDetails = value.runDetails;
  if (!isPlainRecord(definition) || !isPlainRecord(runDetails)) return undefined;

  if (!isNonEmptyString(definition.buildType)) return undefined;
  const definitionValues: Json = {};
  const external = record(definition.externalParameters);
  if (!external) return undefined;
  definitionValues.externalParameters = external;
  if (!optionalInto(definition, "internalParameters", record, definitionValues)) return undefined;
  if (!optionalInto(definition, "resolvedDependencies", descriptors, definitionValues)) return undefined;

  const builder = runDetails.builder;
  if (!isPlainRecord(builder) || !isNonEmptyString(builder.id)) return undefined;
  const builderValues: Json = {};
  if (!optionalInto(builder, "version", stringRecord, builderValues)) return undefined;
  if (!optionalInto(builder, "builderDependencies", descriptors, builderValues)) return undefined;

  const runValues: Json = { builder: rebuild(builder, BUILDER_SHAPE, true, builderValues) };
  const metadata = runDetails.metadata;
  if (metadata !== undefined) {
    if (!isPlainRecord(metadata)) return undefined;
    const timestamp = (v: unknown) => isString(v) && isTimestamp(v);
    if (!optional(metadata.invocationId, isString) || !optional(metadata.startedOn, timestamp) || !optional(metadata.finishedOn, timestamp)) {
      return undefined;
    }
    runValues.metadata = rebuild(metadata, METADATA_SHAPE, true);
  }
  if (!optionalInto(runDetails, "byproducts", descriptors, runValues)) return undefined;

  return rebuild(value, PROVENANCE_SHAPE, true, {
    buildDefinition: rebuild(definition, DEFINITION_SHAPE, true, definitionValues),
    runDetails: rebuild(runDetails, RUN_DETAILS_SHAPE, true, runValues),
  });
}
