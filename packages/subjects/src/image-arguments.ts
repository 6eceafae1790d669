// Which arguments name images, and how registries are reached: known before
// any image code loads. The image resolution itself (the OCI client, tar
// and gzip readers) is `@provenant/subjects/images`, imported only when an
// argument names an image, so that hashing files starts without it.

/** How the CLI reaches registries: from `--insecure-registry`, `--image-platform` and the environment. */
export interface RegistryOptions {
  insecureRegistries: readonly string[];
  /** `os/arch[/variant]`: pick this child of a multi-arch index instead of keeping the index digest. */
  imagePlatform?: string;
}

const IMAGE_PREFIXES = ["oci://", "oci-layout:", "docker-archive:"] as const;

export function isImageArgument(argument: string): boolean {
  return IMAGE_PREFIXES.some((prefix) => argument.startsWith(prefix));
}
