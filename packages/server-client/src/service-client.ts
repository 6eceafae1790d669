import { vaultJson } from "./vault-client.js";

/**
 * `POST /v1/provenance`: the server builds and signs the provenance from the
 * job token. A refusal is the server's coded error; an unreachable server is
 * IO_ERROR. Front ends (this CLI, the GitHub action) share it.
 */
export async function requestServiceProvenance(request: {
  server: string;
  token: string;
  subjects: readonly { name?: string; digest: { sha256?: string } }[];
  /** Images by digest (`REGISTRY/REPO@sha256:…`) the server fetches from its registries and hashes itself. */
  images?: readonly string[];
  /** File URLs under the server's file sources, which it downloads and hashes itself. */
  files?: readonly string[];
  fetch?: typeof globalThis.fetch;
}): Promise<{ logIndex: number; bundle: unknown }> {
  const body = {
    subjects: request.subjects.map((s) => ({ name: s.name, digest: { sha256: s.digest.sha256 } })),
    ...(request.images?.length ? { images: request.images } : {}),
    ...(request.files?.length ? { files: request.files } : {}),
  };
  return vaultJson<{ logIndex: number; bundle: unknown }>({ server: request.server, token: request.token, ...(request.fetch ? { fetch: request.fetch } : {}) }, "v1/provenance", {
    method: "POST",
    body: JSON.stringify(body),
    contentType: "application/json",
  });
}
