export { ProvenantError, isProvenantError, type ErrorCode } from "./error.js";

export { DigestSetSchema, type DigestSet } from "./schemas/digest.js";
export { parseDigestReference } from "./schemas/digest-values.js";
export {
  STATEMENT_TYPE,
  ResourceDescriptorSchema,
  StatementSchema,
  SubjectSchema,
  type ResourceDescriptor,
  type Statement,
  type Subject,
} from "./schemas/statement.js";
export {
  SLSA_PROVENANCE_V1,
  BuildDefinitionSchema,
  BuildMetadataSchema,
  BuilderSchema,
  ProvenanceSchema,
  RunDetailsSchema,
  type BuildDefinition,
  type BuildMetadata,
  type Builder,
  type Provenance,
  type RunDetails,
} from "./schemas/provenance.js";
export {
  IN_TOTO_PAYLOAD_TYPE,
  MAX_SIGNATURES_PER_ENVELOPE,
  EnvelopeSchema,
  type Envelope,
  type EnvelopeSignature,
} from "./schemas/dsse.js";
export {
  BUNDLE_V03_MEDIA_TYPE,
  READABLE_BUNDLE_MEDIA_TYPES,
  BundleSchema,
  type Bundle,
  type VerificationMaterial,
} from "./schemas/bundle.js";
export { MAX_JSON_DEPTH, jsonTextDepth, parseJsonText, parseWith, valueDepthExceeds } from "./schemas/parse.js";
export { MAX_ENVELOPES_PER_COLLECTION, readSignedDocumentsText, type ReadLimits } from "./bundle/read.js";

export { buildStatement, parseStatement, type ProvenanceStatement } from "./statement/build.js";
export { attest, type Attestation } from "./statement/attest.js";
export { inspect, type Inspection } from "./statement/inspect.js";
export { parseProvenance } from "./provenance/validate.js";

export { preAuthEncoding } from "./dsse/pae.js";
export { decodeBase64, encodeBase64 } from "./dsse/base64.js";
export { keySigner, type Signer } from "./dsse/signer.js";
export {
  parseEnvelope,
  signEnvelope,
  verifyEnvelope,
  type EnvelopeVerification,
  type TrustedKey,
} from "./dsse/envelope.js";
export {
  algorithmOf,
  keyIdOf,
  signBytes,
  verifyBytes,
  type KeyAlgorithm,
  type RsaPadding,
} from "./keys/algorithms.js";
export {
  GENERATED_ALGORITHMS,
  generateKeyPair,
  privateKeyFromPem,
  publicKeyFromPem,
  type GeneratedAlgorithm,
  type GeneratedKeyPair,
} from "./keys/pem.js";
export { MIN_PASSWORD_LENGTH, SCRYPT_PARAMETERS, checkPasswordStrength, encryptPrivateKey } from "./keys/encrypt.js";
export {
  TRUSTED_ROOT_SERVICE_KEYS,
  serviceKeysOfTrustedRoot,
  trustedRootServiceKey,
  type TrustedRootServiceKey,
} from "./keys/trusted-root.js";

export { bundleTextPieces, parseBundle, parseSignedDocument, toBundle, type SignedDocument } from "./bundle/bundle.js";
export { readSignedDocuments } from "./bundle/signed-documents.js";
export { normalizeGitUrl } from "./source/git-url.js";
export { hasCredentials, redactCredentials, stripUrlCredentials, withoutCredentials } from "./source/url-credentials.js";
export { isPrintable, printable, printableMessage, terminalJson } from "./text/escape.js";
export { MAX_MARKDOWN_VALUE, markdownCode, markdownCodeBlock, markdownText } from "./text/markdown.js";
export { normalizeRepository, refKind, refSeparatorIndex, sourceDependency, sourceOf, type Source } from "./source/source.js";
export {
  PolicySchema,
  matchBranch,
  matchBuildInputs,
  matchBuilderId,
  matchHostedRunner,
  matchSourceCommit,
  matchSourceUri,
  matchTag,
  matchVersionedTag,
  parsePolicy,
  type Policy,
  type RuleResult,
} from "./policy/policy.js";
export {
  parseSourceLocation,
  parseSourcePattern,
  sourceMatches,
  strictSemverOf,
  type ParsedSource,
  type SourceLocation,
} from "./policy/source-match.js";
export {
  checkTitle,
  verify,
  type Check,
  type CheckId,
  type VerificationReport,
  type VerifyOptions,
} from "./verify/verify.js";
export { slsaLevelOf, type SlsaLevel } from "./verify/level.js";
export { SERVICE_HASHED_SUBJECTS_FIELD, serviceSubjectsNote } from "./verify/service-subjects.js";
export {
  BUILD_TYPES,
  FACTS_SOURCE_FIELD,
  PLATFORM_HARDENED_FIELD,
  HOSTED_BUILD_TYPES,
  VARIABLE_DISAGREEMENTS_FIELD,
  variableDisagreementsOf,
  type FactsSource,
  type VariableDisagreement,
} from "./buildtypes.js";
export {
  PLATFORM_NAMES,
  detectPlatform,
  type Environment,
  type CollectContext,
  type PlatformAdapter,
  type PlatformName,
  type ProvenanceFields,
} from "./platform.js";
export { SECRET_VARIABLES, withoutSecrets } from "./secrets.js";
