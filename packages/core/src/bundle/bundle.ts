import { ProvenantError } from "../error.js";
import { type Bundle, BUNDLE_V03_MEDIA_TYPE, BundleSchema } from "../schemas/bundle.js";
import { type Envelope, EnvelopeSchema } from "../schemas/dsse.js";
import { fastBundle, fastEnvelope } from "../schemas/fast.js";
import { MAX_JSON_DEPTH, parseWith, valueDepthExceeds } from "../schemas/parse.js";

/**
 * Wraps a DSSE envelope in a Sigstore bundle v0.3 of the public-key form:
 * no certificate, no transparency log entry (Provenant is private by design),
 * `publicKey.hint` equal to the signature's keyid.
 */
export function toBundle(envelope: Envelope): Bundle {
  if (envelope.signatures.length !== 1) {
    // Sigstore bundles carry exactly one signature in their DSSE envelope.
    throw new ProvenantError(
      "USAGE",
      `a Sigstore bundle holds one signature; the envelope has ${envelope.signatures.length} (write it as .intoto.jsonl instead)`,
    );
  }
  return {
    mediaType: BUNDLE_V03_MEDIA_TYPE,
    verificationMaterial: {
      publicKey: { hint: envelope.signatures[0]!.keyid ?? "" },
      tlogEntries: [],
      timestampVerificationData: { rfc3161Timestamps: [] },
    },
    dsseEnvelope: envelope,
  };
}

export function parseBundle(value: unknown): Bundle {
  // The hand-written twin first (verification's hot path); zod decides and words the error.
  const bundle = (fastBundle(value) as Bundle | undefined) ?? parseWith(BundleSchema, value, "MALFORMED_BUNDLE", "Sigstore bundle");
  if (!bundle.dsseEnvelope) {
    throw new ProvenantError(
      "MALFORMED_BUNDLE",
      "Sigstore bundle: holds a message signature, not a DSSE envelope; expected dsseEnvelope with an in-toto statement",
    );
  }
  const hint = bundle.verificationMaterial.publicKey?.hint;
  const keyid = bundle.dsseEnvelope.signatures[0]?.keyid;
  if (hint !== undefined && hint !== "" && keyid !== undefined && keyid !== "" && hint !== keyid) {
    throw new ProvenantError(
      "MALFORMED_BUNDLE",
      `Sigstore bundle: verificationMaterial.publicKey.hint "${hint}" differs from the signature's keyid "${keyid}"; expected them equal`,
    );
  }
  return bundle;
}

export type SignedDocument =
  | { kind: "bundle"; bundle: Bundle; envelope: Envelope }
  | { kind: "envelope"; envelope: Envelope };

/** Accepts either a Sigstore bundle or a bare DSSE envelope (one line of .intoto.jsonl). */
export function parseSignedDocument(value: unknown): SignedDocument {
  // Checked before any schema walks the value (schemas recurse).
  if (valueDepthExceeds(value, MAX_JSON_DEPTH)) {
    throw new ProvenantError("JSON_TOO_DEEP", `the document nests arrays or objects more than ${MAX_JSON_DEPTH} deep; expected a Sigstore bundle or DSSE envelope`);
  }
  if (value !== null && typeof value === "object" && "mediaType" in value) {
    const bundle = parseBundle(value);
    return { kind: "bundle", bundle, envelope: bundle.dsseEnvelope! };
  }
  if (value !== null && typeof value === "object" && "payloadType" in value) {
    const envelope = (fastEnvelope(value) as Envelope | undefined) ?? parseWith(EnvelopeSchema, value, "MALFORMED_ENVELOPE", "DSSE envelope");
    return { kind: "envelope", envelope };
  }
  throw new ProvenantError(
    "MALFORMED_BUNDLE",
    "not a Sigstore bundle (no mediaType) nor a DSSE envelope (no payloadType)",
  );
}

/** How a bundle names its signer, for reports. */
export function signerMaterialOf(bundle: Bundle): "public-key" | "certificate" {
  return bundle.verificationMaterial.publicKey ? "public-key" : "certificate";
}

/**
 * `${JSON.stringify(bundle, null, 2)}\n` in pieces that join to exactly that
 * text, the envelope's payload a piece of its own, so that a writer can write
 * them one after the other. A release's payload is 15 MB of base64; the text
 * as one string copied it again, and encoding that string for the file a
 * third time (issue 14: attest's peak memory).
 */
export function bundleTextPieces(bundle: Bundle): string[] {
  const payload = bundle.dsseEnvelope?.payload;
  if (payload === undefined || payload.length < 4096 || !/^[A-Za-z0-9+/=]*$/.test(payload)) return [`${JSON.stringify(bundle, null, 2)}\n`];
  const text = JSON.stringify({ ...bundle, dsseEnvelope: { ...bundle.dsseEnvelope, payload: "" } }, null, 2);
  // Unescaped quotes occur only around keys and values, so this pair is the
  // payload field itself; base64 (checked above) needs no JSON escaping.
  const field = '"payload": ""';
  const at = text.indexOf(field);
  if (at < 0 || text.indexOf(field, at + 1) >= 0) return [`${JSON.stringify(bundle, null, 2)}\n`];
  const split = at + field.length - 1;
  return [text.slice(0, split), payload, `${text.slice(split)}\n`];
}
