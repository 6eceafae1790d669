import { ProvenantError } from "@provenant/core";
import { parseImageReference, type RegistryClient } from "@provenant/oci";

/** A subject the server fetched and hashed itself, rather than taking the build's word. */
export interface ServerHashedSubject {
  name: string;
  digest: { sha256: string };
}

/** Resolves `registry/repository@sha256:…` to a subject the server hashed itself. */
export type ImageSubjectFetcher = (reference: string) => Promise<ServerHashedSubject>;

/**
 * The metadata field that lists the subjects the service hashed itself; the
 * other subjects are the build's word. An extension field, as SLSA asks
 * (`<vendor>_<name>`).
 */
export const SERVICE_HASHED_SUBJECTS_FIELD = "provenant_subjectsHashedByService";

/**
 * Images by digest from the registries the server is configured to trust:
 * the manifest is fetched by its digest (content-addressed), and the client
 * checks that the bytes served hash to it, so the subject's digest is one the
 * server computed. Tags are refused (a tag is the registry's word, and may
 * move). Only configured registries are spoken to: a request cannot make the
 * server fetch from anywhere else.
 */
export function registryImageSubjects(options: { registries: readonly string[]; client: RegistryClient }): ImageSubjectFetcher {
  const allowed = new Set(options.registries.map((host) => host.toLowerCase()));
  return async (reference) => {
    const image = parseImageReference(reference);
    if (!image.digest || image.tag) {
      throw new ProvenantError("USAGE", `image ${reference.slice(0, 300)}: expected REGISTRY/REPOSITORY@sha256:HEX (by digest, without a tag)`);
    }
    if (!allowed.has(image.registry.toLowerCase())) {
      throw new ProvenantError(
        "USAGE",
        `image ${reference.slice(0, 300)}: registry ${image.registry} is not one this server fetches from; it fetches from ${[...allowed].join(", ") || "none (signing.registries is empty)"}`,
      );
    }
    const manifest = await options.client.getManifest({ registry: image.registry, repository: image.repository }, image.digest);
    if (!manifest) throw new ProvenantError("NOT_FOUND", `image ${reference.slice(0, 300)}: the registry has no manifest with that digest`);
    return { name: `${image.registry}/${image.repository}`, digest: { sha256: manifest.digest.slice("sha256:".length) } };
  };
}
