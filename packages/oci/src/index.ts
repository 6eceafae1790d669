export {
  DOCKER_HUB,
  formatImageReference,
  imageName,
  isLoopbackHost,
  parseImageArgument,
  parseImageReference,
  registryApiHost,
  type ImageReference,
} from "./reference/reference.js";
export { EMPTY_CONFIG, INDEX_MEDIA_TYPES, MANIFEST_ACCEPT, MEDIA_TYPES } from "./manifest/media-types.js";
export {
  DescriptorSchema,
  ImageIndexSchema,
  ImageManifestSchema,
  parseIndex,
  parseManifest,
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
} from "./manifest/schemas.js";
export { assertDigest, sha256Digest } from "./manifest/digest.js";
export { parseChallenges, type Challenge } from "./registry/challenge.js";
export {
  RegistryClient,
  type CredentialSource,
  type Credentials,
  type FetchedManifest,
  manifestName,
  type PutManifestResult,
  type RegistryClientOptions,
  type Repository,
} from "./registry/client.js";
export { parsePlatform, resolveImage, type ResolvedImage } from "./referrers/resolve.js";
export { cosignAttestationTag, referrersTag } from "./referrers/fallback-tag.js";
export {
  BUNDLE_CONTENT_ANNOTATION,
  BUNDLE_PREDICATE_TYPE_ANNOTATION,
  pushAttestation,
  MAX_SETTLE_MS,
  MIN_SETTLE_MS,
  realTiming,
  type PushAttestationOptions,
  type PushTiming,
  type PushedAttestation,
} from "./referrers/push.js";
export {
  listAttestations,
  pullAttestations,
  type AttestationSource,
  type PulledAttestation,
  type StoredAttestation,
} from "./referrers/pull.js";
export {
  registryCredentials,
  type CredentialHelperRunner,
  type RegistryCredentialOptions,
} from "./credentials/docker-config.js";
export {
  INSECURE_REGISTRIES_ENV,
  registryClientFromEnvironment,
  withRegistryLogin,
  type RegistryEnvironmentOptions,
  type RegistryLogin,
} from "./credentials/environment.js";
export { pushAfterAttest, pushBundle, type PushBundleOptions, type PushResult } from "./stored/push.js";
export { signerKeyIds } from "./stored/signer.js";
export {
  imageDigestSet,
  type StoredAttestationResult,
  type StoredVerification,
  type VerifyStoredOptions,
  verifyStoredAttestations,
} from "./stored/verify.js";
