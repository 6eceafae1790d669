import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { createGunzip } from "node:zlib";
import type { Subject } from "@provenant/core";
import { ProvenantError, printableMessage } from "@provenant/core/base";
import {
  type Descriptor,
  type ImageIndex,
  type ImageReference,
  ImageIndexSchema,
  imageName,
  parseImageArgument,
  parseImageReference,
  type RegistryClient,
  registryClientFromEnvironment,
  resolveImage,
  sha256Digest,
} from "@provenant/oci";
import { extract } from "tar-stream";
import type { RegistryOptions } from "./image-arguments.js";
export type { RegistryOptions } from "./image-arguments.js";
import type { SubjectsIo as Io } from "./io.js";

export function createRegistryClient(io: Io, options: RegistryOptions = { insecureRegistries: [] }): RegistryClient {
  return registryClientFromEnvironment({
    env: io.env,
    warn: (message) => io.stderr(`provenant: warning: ${printableMessage(message)}\n`),
    insecureRegistries: options.insecureRegistries,
  });
}

/** An image subject in a registry, kept with its descriptor so `attest --push` can push beside it. */
export interface RegistryImage {
  reference: ImageReference;
  descriptor: Descriptor;
}

export interface ImageSubjects {
  subjects: Subject[];
  /** The `oci://` subjects: the ones a bundle can be pushed beside. */
  registryImages: RegistryImage[];
}

/**
 * Resolves `oci://REGISTRY/REPO[:TAG|@DIGEST]`, `oci-layout:DIR[:TAG]` and
 * `docker-archive:FILE.tar` into subjects named after the image and carrying
 * its manifest digest — the digest a registry, `docker pull` and a
 * deployment use, so the statement matches the image wherever it goes.
 */
export async function resolveImageSubjects(
  argumentsList: readonly string[],
  io: Io,
  options: RegistryOptions = { insecureRegistries: [] },
): Promise<ImageSubjects> {
  const subjects: Subject[] = [];
  const registryImages: RegistryImage[] = [];
  let client: RegistryClient | undefined;
  for (const argument of argumentsList) {
    if (argument.startsWith("oci://")) {
      client ??= createRegistryClient(io, options);
      const resolved = await resolveImage(client, parseImageArgument(argument), {
        ...(options.imagePlatform && { platform: options.imagePlatform }),
      });
      registryImages.push(resolved);
      subjects.push({ name: imageName(resolved.reference), digest: { sha256: hexOf(resolved.descriptor.digest) } });
    } else if (argument.startsWith("oci-layout:")) {
      subjects.push(...(await ociLayoutSubjects(argument.slice("oci-layout:".length), io)));
    } else {
      subjects.push(...(await dockerArchiveSubjects(argument.slice("docker-archive:".length), io)));
    }
  }
  return { subjects, registryImages };
}

function hexOf(digest: string): string {
  if (!digest.startsWith("sha256:")) {
    throw new ProvenantError("INVALID_DIGEST", `image digest ${digest}: only sha256 image digests can be subjects`);
  }
  return digest.slice("sha256:".length);
}

/** Annotations from the OCI image spec and containerd that name an image in a layout. */
const REF_NAME = "org.opencontainers.image.ref.name";
const CONTAINERD_NAME = "io.containerd.image.name";

/** `DIR:TAG`, where TAG is what follows the last colon when it looks like a tag. */
function splitLayoutArgument(text: string): { dir: string; tag?: string } {
  const colon = text.lastIndexOf(":");
  const tag = colon > 0 ? text.slice(colon + 1) : "";
  if (tag !== "" && /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) return { dir: text.slice(0, colon), tag };
  return { dir: text };
}

function parseLayoutIndex(indexBytes: Uint8Array, where: string): ImageIndex {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(indexBytes));
  } catch (error) {
    throw new ProvenantError("MALFORMED_JSON", `${where}/index.json is not valid JSON; expected an OCI image layout`, { cause: error });
  }
  const parsed = ImageIndexSchema.safeParse(json);
  if (!parsed.success) throw new ProvenantError("MALFORMED_JSON", `${where}/index.json is not an OCI image index`);
  return parsed.data;
}

/** Subjects from an image layout's `index.json` (image-spec `image-layout.md`), optionally one tag's. */
function layoutSubjects(
  index: ImageIndex,
  blob: (digest: string) => Uint8Array | undefined,
  where: string,
  tag: string | undefined,
  fallbackName: string,
): Subject[] {
  const chosen = index.manifests.filter((m) => tag === undefined || m.annotations?.[REF_NAME] === tag);
  if (chosen.length === 0) {
    const tags = index.manifests.map((m) => m.annotations?.[REF_NAME]).filter(Boolean);
    throw new ProvenantError(
      "NO_SUBJECTS_MATCHED",
      `${where}: ${tag === undefined ? "no images" : `no image tagged ${tag}`}; it holds ${tags.length > 0 ? tags.join(", ") : "no tagged images"}`,
    );
  }
  return chosen.map((descriptor) => {
    const bytes = blob(descriptor.digest);
    if (!bytes) throw new ProvenantError("NO_SUBJECTS_MATCHED", `${where}: index.json names ${descriptor.digest}, which is not among its blobs`);
    if (sha256Digest(bytes) !== descriptor.digest) {
      throw new ProvenantError("INVALID_DIGEST", `${where}: blob ${descriptor.digest} does not hash to its name; the layout is corrupt`);
    }
    const named = descriptor.annotations?.[CONTAINERD_NAME];
    let name = fallbackName;
    if (named) {
      try {
        name = imageName(parseImageReference(named));
      } catch {
        // An unparsable annotation is only a name; the digest is what counts.
      }
    }
    return { name, digest: { sha256: hexOf(descriptor.digest) } };
  });
}

async function ociLayoutSubjects(argument: string, io: Io): Promise<Subject[]> {
  const { dir, tag } = splitLayoutArgument(argument);
  const root = resolve(io.cwd, dir);
  const read = async (path: string) => {
    try {
      return await readFile(resolve(root, path));
    } catch {
      return undefined;
    }
  };
  const index = await read("index.json");
  if (!index) throw new ProvenantError("NO_SUBJECTS_MATCHED", `oci-layout:${dir}: no index.json there; expected an OCI image layout directory`);
  const where = `oci-layout:${dir}`;
  const parsed = parseLayoutIndex(index, where);
  const blobs = new Map<string, Uint8Array>();
  for (const m of parsed.manifests) {
    const bytes = await read(`blobs/${m.digest.replace(":", "/")}`);
    if (bytes) blobs.set(m.digest, bytes);
  }
  return layoutSubjects(parsed, (digest) => blobs.get(digest), where, tag, dir);
}

/** Entries worth keeping in memory from an archive: the JSON documents, not layers. */
const MAX_KEPT_ENTRY = 4 * 1024 * 1024;

/** Layer media types that say "not compressed": what no `docker push` sends. */
const UNCOMPRESSED_LAYER_TYPES: readonly string[] = ["application/vnd.oci.image.layer.v1.tar", "application/vnd.docker.image.rootfs.diff.tar"];

/**
 * Whether a saved manifest is one the classic (graph driver) image store made
 * up at `docker save` time. That store keeps no registry manifest; Docker 25+
 * writes a fresh OCI manifest whose layers are the uncompressed layer tars
 * (digest = the config's diff_id) and whose config is the image id, as
 * moby/moby#47072 and #47210 show. `docker push` compresses the layers and
 * writes another manifest, so the registry never has this digest. The
 * containerd image store exports the manifest it pulled or will push, with
 * compressed layers. Both write `io.containerd.image.name`, so that
 * annotation tells nothing; the layer media types do.
 */
function isClassicStoreManifest(bytes: Uint8Array | undefined): boolean {
  if (!bytes) return false;
  let manifest: { layers?: { mediaType?: unknown }[] };
  try {
    manifest = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return false;
  }
  const layers = Array.isArray(manifest?.layers) ? manifest.layers : [];
  return layers.length > 0 && layers.every((layer) => typeof layer?.mediaType === "string" && UNCOMPRESSED_LAYER_TYPES.includes(layer.mediaType));
}

/**
 * `docker save` output. Since Docker 25 the archive is also an OCI image
 * layout (`index.json` + `blobs/sha256/`), which is where the manifest digest
 * lives; older archives hold only `manifest.json` and image ids, which no
 * registry knows, so they are refused rather than given a made-up digest.
 * The digest is the registry's only with the containerd image store; an
 * archive from the classic store is warned about (see isClassicStoreManifest).
 */
async function dockerArchiveSubjects(file: string, io: Io): Promise<Subject[]> {
  const path = resolve(io.cwd, file);
  const kept = new Map<string, Uint8Array>();
  await new Promise<void>((done, fail) => {
    const reader = extract();
    reader.on("entry", (header, stream, next) => {
      const name = header.name.replace(/^\.\//, "");
      const wanted = header.type === "file" && (header.size ?? 0) <= MAX_KEPT_ENTRY && (name === "index.json" || name === "manifest.json" || name.startsWith("blobs/"));
      if (!wanted) {
        stream.on("end", next);
        stream.resume();
        return;
      }
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: unknown) => chunks.push(chunk as Buffer));
      stream.on("end", () => {
        kept.set(name, Buffer.concat(chunks));
        next();
      });
    });
    reader.on("finish", done);
    reader.on("error", (error) =>
      fail(new ProvenantError("MALFORMED_JSON", `docker-archive:${file} is not a tar archive (${error.message}); expected the output of docker save`, { cause: error })),
    );
    const input = createReadStream(path);
    input.on("error", (error) => fail(new ProvenantError("IO_ERROR", `cannot read docker-archive:${file}: ${error.message}`, { cause: error })));
    // `docker save | gzip` is common; sniff the gzip magic rather than trust the file name.
    input.once("readable", () => {
      const head: Buffer | null = input.read(2);
      if (head) input.unshift(head);
      if (head?.[0] === 0x1f && head[1] === 0x8b) {
        const gunzip = createGunzip();
        gunzip.on("error", (error) => fail(new ProvenantError("IO_ERROR", `docker-archive:${file}: broken gzip (${error.message})`, { cause: error })));
        input.pipe(gunzip).pipe(reader);
      } else {
        input.pipe(reader);
      }
    });
  });
  const index = kept.get("index.json");
  if (!index) {
    throw new ProvenantError(
      "NO_SUBJECTS_MATCHED",
      `docker-archive:${file} has no index.json, so it carries no manifest digest (docker save before Docker 25, or skopeo's docker-archive); save it with Docker 25 or later, or use oci-layout:DIR`,
    );
  }
  let fallbackName = file;
  const manifestJson = kept.get("manifest.json");
  if (manifestJson) {
    try {
      const repoTag = (JSON.parse(new TextDecoder().decode(manifestJson)) as { RepoTags?: string[] }[])[0]?.RepoTags?.[0];
      if (repoTag) fallbackName = imageName(parseImageReference(repoTag));
    } catch {
      // Names are a courtesy; the digest comes from index.json.
    }
  }
  const where = `docker-archive:${file}`;
  const blob = (digest: string) => kept.get(`blobs/${digest.replace(":", "/")}`);
  const parsed = parseLayoutIndex(index, where);
  const subjects = layoutSubjects(parsed, blob, where, undefined, fallbackName);
  for (const descriptor of parsed.manifests) {
    if (!isClassicStoreManifest(blob(descriptor.digest))) continue;
    io.stderr(
      `provenant: warning: ${printableMessage(where)}: ${printableMessage(descriptor.digest)} has uncompressed layers, the manifest docker save makes up with the classic image store; ` +
        "no registry will hold this digest (docker push compresses the layers and writes another manifest), so verify --image would never find an attestation for it. " +
        "Attest the pushed image instead (oci://REGISTRY/REPO@DIGEST, the digest docker push prints), or save with the containerd image store\n",
    );
  }
  return subjects;
}
