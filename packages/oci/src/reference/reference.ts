import { ProvenantError } from "@provenant/core";

/**
 * An image reference split the way docker and the distribution project's
 * `reference` package normalise it: `alpine` is `docker.io/library/alpine`,
 * a first component with a dot, a colon or `localhost` names a registry.
 */
export interface ImageReference {
  /** Registry host as written, with its port: `ghcr.io`, `localhost:5000`, `docker.io`. */
  registry: string;
  /** Repository path inside the registry: `library/alpine`, `acme/app`. */
  repository: string;
  tag?: string;
  /** `sha256:<hex>` when the reference pins one. */
  digest?: string;
}

export const DOCKER_HUB = "docker.io";
/** Where Docker Hub's registry API lives; `docker.io` itself serves no /v2/. */
const DOCKER_HUB_API_HOST = "registry-1.docker.io";

// Grammar from the distribution spec / docker's reference package.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const REGISTRY_HOST = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]{1,5})?$`);
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
const MAX_NAME_LENGTH = 255;

function bad(text: string, why: string): ProvenantError {
  return new ProvenantError(
    "USAGE",
    `image reference "${text.slice(0, 300)}": ${why}; expected [REGISTRY[:PORT]/]REPOSITORY[:TAG][@sha256:HEX], e.g. ghcr.io/acme/app:1.0`,
  );
}

function looksLikeRegistry(component: string): boolean {
  return component.includes(".") || component.includes(":") || component === "localhost" || component.startsWith("[");
}

export function parseImageReference(text: string): ImageReference {
  if (text.trim() !== text || text === "") throw bad(text, "empty or surrounded by whitespace");
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad(text, `digest "${digest.slice(0, 80)}" is not sha256:<64 lowercase hex>`);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf("/");
  const colon = rest.indexOf(":", lastSlash + 1);
  if (colon >= 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(text, `tag "${tag.slice(0, 80)}" is not a valid tag (letters, digits, _ . -, at most 128)`);
  }
  const components = rest.split("/");
  let registry = DOCKER_HUB;
  if (components.length > 1 && looksLikeRegistry(components[0]!)) {
    registry = components.shift()!;
    if (!REGISTRY_HOST.test(registry)) throw bad(text, `registry "${registry}" is not a host name with an optional port`);
    const port = /:(\d+)$/.exec(registry)?.[1];
    if (port && (Number(port) < 1 || Number(port) > 65535)) throw bad(text, `port ${port} is out of range`);
  }
  if (registry === "index.docker.io") registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && components.length === 1) components.unshift("library");
  for (const component of components) {
    if (!PATH_COMPONENT.test(component)) {
      throw bad(text, `repository component "${component.slice(0, 80)}" must be lowercase letters and digits separated by . _ __ or -`);
    }
  }
  const repository = components.join("/");
  if (repository.length + registry.length + 1 > MAX_NAME_LENGTH) throw bad(text, `name is longer than ${MAX_NAME_LENGTH} characters`);
  return { registry, repository, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) };
}

/**
 * An image as users write it to Provenant (CLI argument, action or task
 * input): `oci://ghcr.io/acme/app:1.0` or plain `ghcr.io/acme/app:1.0`, so
 * that one spelling works everywhere.
 */
export function parseImageArgument(argument: string): ImageReference {
  return parseImageReference(argument.startsWith("oci://") ? argument.slice("oci://".length) : argument);
}

/** `registry/repository` — the name an image subject carries in a statement. */
export function imageName(reference: ImageReference): string {
  return `${reference.registry}/${reference.repository}`;
}

export function formatImageReference(reference: ImageReference): string {
  return `${imageName(reference)}${reference.tag ? `:${reference.tag}` : ""}${reference.digest ? `@${reference.digest}` : ""}`;
}

/** The host that serves `/v2/` for a registry name. */
export function registryApiHost(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_API_HOST : registry;
}

/** Host name without port or brackets, for loopback checks. */
export function hostNameOf(registry: string): string {
  if (registry.startsWith("[")) return registry.slice(1, registry.indexOf("]"));
  return registry.replace(/:\d+$/, "");
}

export function isLoopbackHost(registry: string): boolean {
  const host = hostNameOf(registry).toLowerCase();
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
