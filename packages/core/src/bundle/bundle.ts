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
