/** Media types from the OCI image spec v1.1 and Docker's image manifest v2.2. */
export const MEDIA_TYPES = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  /** OCI 1.1 "empty descriptor": the config of an artifact that has none. */
  empty: "application/vnd.oci.empty.v1+json",
  sigstoreBundle: "application/vnd.dev.sigstore.bundle.v0.3+json",
  /** What cosign's legacy `sha256-<hex>.att` manifests hold in each layer. */
  dsseEnvelope: "application/vnd.dsse.envelope.v1+json",
} as const;

export const MANIFEST_ACCEPT = [
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.ociIndex,
  MEDIA_TYPES.dockerManifest,
  MEDIA_TYPES.dockerManifestList,
].join(", ");

export const INDEX_MEDIA_TYPES: readonly string[] = [MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerManifestList];

/** The empty JSON object `{}` every OCI 1.1 artifact without a config points to. */
export const EMPTY_CONFIG = {
  mediaType: MEDIA_TYPES.empty,
  digest: "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
  size: 2,
  data: "e30=",
} as const;
