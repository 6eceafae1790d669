import { resolve } from "node:path";
import {
  inspect,
  type Policy,
  ProvenantError,
  parsePolicy,
  type Statement,
  type VerificationReport,
  verify,
} from "@provenant/core";
import {
  formatImageReference,
  type ImageReference,
  imageName,
  listAttestations,
  parseImageArgument,
  pullAttestations,
  pushAttestation,
  type RegistryClient,
  resolveImage,
} from "@provenant/oci";
import type { Command } from "commander";
import { type Io, parseJson, readTextFile } from "../io.js";
import { loadTrustedKeys } from "../keys/load.js";
import { printable, terminalJson } from "../output/escape.js";
import { renderReport } from "../output/report.js";
import { createRegistryClient, type RegistryOptions } from "../subjects/images.js";
import { runVaultAttestationsList, vaultListOptions } from "./vault-commands.js";

const collect = (value: string, previous: string[]) => [...previous, value];

function registryOptions(opts: { insecureRegistry?: string[]; imagePlatform?: string }): RegistryOptions {
  return { insecureRegistries: opts.insecureRegistry ?? [], ...(opts.imagePlatform && { imagePlatform: opts.imagePlatform }) };
}

/** Adds `--insecure-registry` and `--image-platform` to a command that talks to registries. */
export function registryFlags(command: Command): Command {
  return command
    .option("--insecure-registry <host>", "allow plain HTTP to this registry host (repeatable; loopback always may)", collect, [])
    .option("--image-platform <os/arch>", "for a multi-arch image, use this platform's manifest instead of the index");
}

/** Reads `--insecure-registry` / `--image-platform` from parsed commander options. */
export const registryOptionsOf = registryOptions;

const LOCAL_IMAGE_PREFIXES = ["oci-layout:", "docker-archive:"] as const;

/**
 * The image argument of `push`, `attestations list` and `verify --image`: an
 * image in a registry. `oci-layout:` and `docker-archive:` name local files
 * (they are subjects for `attest`); the reference grammar would otherwise read
 * `oci-layout:x` as the Docker Hub image `library/oci-layout` tagged `x`.
 */
export function registryImageArgument(argument: string, command: string): ImageReference {
  const local = LOCAL_IMAGE_PREFIXES.find((prefix) => argument.startsWith(prefix));
  if (local) {
    throw new ProvenantError(
      "USAGE",
      `${command} ${argument}: ${local} names a local image, not one in a registry; expected oci://REGISTRY/REPO[:TAG|@DIGEST] (push the image first, e.g. with skopeo copy or docker push)`,
    );
  }
  return parseImageArgument(argument);
}

export interface PushResult {
  image: string;
  attestation: string;
  via: string;
}

/**
 * Pushes a bundle beside an image. The image digest is the one the bundle
 * attests: when `attestedDigests` is given (attest --push), a moved tag cannot
 * send the attestation to another image; otherwise the tag is resolved and
 * the bundle must name the digest it resolves to.
 */
export async function pushBundle(
  client: RegistryClient,
  reference: ImageReference,
  bundleBytes: Uint8Array,
  statement: Statement,
  options: { imagePlatform?: string; attested?: boolean } = {},
): Promise<PushResult> {
  const attestedDigests = statement.subject.flatMap((s) => (s.digest.sha256 ? [`sha256:${s.digest.sha256}`] : []));
  let digest = reference.digest;
  if (!digest && options.attested) {
    const named = statement.subject.filter((s) => s.name === imageName(reference) && s.digest.sha256);
    if (named.length === 1) digest = `sha256:${named[0]!.digest.sha256}`;
  }
  digest ??= (await resolveImage(client, reference, { ...(options.imagePlatform && { platform: options.imagePlatform }) })).descriptor.digest;
  const shown = formatImageReference({ ...reference, digest });
  if (!attestedDigests.includes(digest)) {
    throw new ProvenantError(
      "SUBJECT_MISMATCH",
      `${shown}: the bundle does not attest this image (its subjects are ${attestedDigests.join(", ") || "not sha256 digests"}); expected a bundle made for the image digest`,
    );
  }
  const manifest = await client.getManifest(reference, digest);
  if (!manifest) throw new ProvenantError("NO_SUBJECTS_MATCHED", `${shown} is not in the registry; push the image before its attestation`);
  const pushed = await pushAttestation(
    client,
    reference,
    { mediaType: manifest.mediaType, digest, size: manifest.size },
    bundleBytes,
    { predicateType: statement.predicateType },
  );
  return { image: shown, attestation: pushed.digest, via: pushed.via };
}

/** `attest --push`: push the new bundle beside every `oci://` subject. */
export async function pushAfterAttest(
  imageArguments: readonly string[],
  bundle: unknown,
  statement: Statement,
  io: Io,
  options: RegistryOptions,
): Promise<PushResult[]> {
  const bytes = new TextEncoder().encode(JSON.stringify(bundle));
  const client = createRegistryClient(io, options);
  const results: PushResult[] = [];
  for (const argument of imageArguments) {
    results.push(
      await pushBundle(client, parseImageArgument(argument), bytes, statement, {
        attested: true,
        ...(options.imagePlatform && { imagePlatform: options.imagePlatform }),
      }),
    );
  }
  return results;
}

export interface PushInputs extends RegistryOptions {
  image: string;
  bundle: string;
  json: boolean;
}

export async function runPush(inputs: PushInputs, io: Io): Promise<number> {
  const reference = registryImageArgument(inputs.image, "push");
  const text = await readTextFile(resolve(io.cwd, inputs.bundle), "bundle");
  const document = parseJson(text, inputs.bundle);
  const { kind, statement } = inspect(document);
  if (kind !== "bundle") {
    throw new ProvenantError("MALFORMED_BUNDLE", `${inputs.bundle} is a bare DSSE envelope; push expects a Sigstore bundle (provenant attest writes one)`);
  }
  const result = await pushBundle(createRegistryClient(io, inputs), reference, new TextEncoder().encode(text), statement, {
    ...(inputs.imagePlatform && { imagePlatform: inputs.imagePlatform }),
  });
  if (inputs.json) io.stdout(`${terminalJson(result)}\n`);
  else io.stdout(`pushed ${result.attestation} beside ${result.image} (${result.via})\n`);
  return 0;
}

export interface ListInputs extends RegistryOptions {
  image: string;
  json: boolean;
}

export async function runAttestationsList(inputs: ListInputs, io: Io): Promise<number> {
  const named = registryImageArgument(inputs.image, "attestations list");
  const client = createRegistryClient(io, inputs);
  const { reference, descriptor } = await resolveImage(client, named, {
    ...(inputs.imagePlatform && { platform: inputs.imagePlatform }),
  });
  const all = await listAttestations(client, reference, descriptor.digest);
  // A referrer whose manifest is missing or about another image is not this image's attestation.
  const listed = all.filter((a) => a.problem === undefined);
  const refused = all.filter((a) => a.problem !== undefined);
  for (const a of refused) io.stderr(`provenant: warning: not listing attestation ${a.layerDigest ?? a.manifestDigest}: ${printable(a.problem ?? "")}\n`);
  if (inputs.json) {
    io.stdout(`${terminalJson({ image: formatImageReference(reference), attestations: listed, ...(refused.length > 0 && { refused }) })}\n`);
  } else {
    io.stderr(`${listed.length} attestation(s) for ${formatImageReference(reference)}\n`);
    for (const a of listed) {
      const columns = [a.layerDigest ?? a.manifestDigest, a.source, a.predicateType ?? "-", ...(a.created ? [a.created] : [])];
      io.stdout(`${columns.map((c) => printable(c)).join("  ")}\n`);
    }
  }
  return 0;
}

/**
 * The in-toto DigestSet an image's subject must carry: `{ sha256: hex }` or
 * `{ sha512: hex }`, the two algorithms the distribution spec and the
 * reference grammar allow. Anything else is refused rather than compared as
 * a garbled sha256.
 */
export function imageDigestSet(digest: string, image: string): { [algorithm: string]: string } {
  const match = /^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$/.test(digest) ? digest.split(":") : undefined;
  if (!match) {
    throw new ProvenantError("INVALID_DIGEST", `${image}: image digest ${digest.slice(0, 80)} is not sha256:<64 hex> or sha512:<128 hex>; expected a registry manifest digest`);
  }
  return { [match[0]!]: match[1]! };
}

export interface VerifyImageInputs extends RegistryOptions {
  image: string;
  keys: readonly string[];
  /** `--service-key` files: the signing service's public keys. */
  serviceKeys?: readonly string[];
  threshold: number;
  policy: Policy;
  json: boolean;
}

/**
 * `verify --image`: fetch the attestations stored beside the image, keep
 * those whose subject is the image digest and whose signature a trusted key
 * made, and apply the policy. Verified when one attestation passes it all.
 */
export async function runVerifyImage(inputs: VerifyImageInputs, io: Io): Promise<number> {
  const named = registryImageArgument(inputs.image, "verify --image");
  const policy = parsePolicy(inputs.policy);
  const trustedKeys = await loadTrustedKeys(inputs.keys, inputs.serviceKeys, io.cwd);
  const client = createRegistryClient(io, inputs);
  const { reference, descriptor } = await resolveImage(client, named, {
    ...(inputs.imagePlatform && { platform: inputs.imagePlatform }),
  });
  const shown = formatImageReference(reference);
  const artifactDigests = [imageDigestSet(descriptor.digest, shown)];
  const pulled = await pullAttestations(client, reference, descriptor.digest);
  for (const p of pulled) {
    if (p.problem) io.stderr(`provenant: warning: skipping attestation ${p.layerDigest ?? p.manifestDigest}: ${printable(p.problem)}\n`);
  }
  const reports = pulled
    .filter((p) => p.document !== undefined)
    .map((p) => ({ attestation: p.layerDigest ?? p.manifestDigest, source: p.source, report: verify(p.document, { trustedKeys, threshold: inputs.threshold, artifactDigests, policy }) }));
  const chosen = reports.find((r) => r.report.verified);
  const shownReports = chosen ? [chosen] : reports;
  if (inputs.json) {
    const strip = ({ statement: _s, ...rest }: VerificationReport) => rest;
    io.stdout(
      `${terminalJson({ image: shown, verified: Boolean(chosen), attestations: shownReports.map((r) => ({ attestation: r.attestation, storedAs: r.source, ...strip(r.report) })) })}\n`,
    );
  } else if (reports.length === 0) {
    io.stdout(`no readable attestations are stored for ${shown}\nFAILED\n`);
  } else {
    io.stderr(`${reports.length} attestation(s) for ${shown}${chosen ? "" : "; none verified"}\n`);
    for (const r of shownReports) {
      io.stdout(`attestation ${r.attestation} (${r.source}):\n`);
      io.stdout(renderReport(r.report, io));
    }
  }
  return chosen ? 0 : 1;
}

/** The `push` and `attestations` commands. */
export function registerOciCommands(program: Command, io: Io, setExit: (code: number) => void): void {
  registryFlags(
    program
      .command("push")
      .description("push an existing Sigstore bundle beside an image in its registry (an OCI 1.1 referrer; the sha256-<hex> tag index on registries without the referrers API)")
      .argument("<image>", "oci://REGISTRY/REPO[:TAG|@DIGEST] (oci:// optional)")
      .requiredOption("-b, --bundle <file>", "the Sigstore bundle; it must attest the image's digest"),
  )
    .option("--json", "print the result as JSON", false)
    .action(async (image: string, opts) => {
      setExit(await runPush({ image, bundle: opts.bundle, json: opts.json, ...registryOptions(opts) }, io));
    });

  const attestations = program.command("attestations").description("attestations stored in registries or in an evidence vault");
  vaultListOptions(
    registryFlags(
      attestations
        .command("list")
        .description("list the attestations stored for an image: referrers API, the sha256-<hex> tag index, and cosign's .att tag; with --server, what the vault holds for an artifact or digest")
        .argument("[image]", "oci://REGISTRY/REPO[:TAG|@DIGEST] (oci:// optional); with --server, an ARTIFACT file"),
    ),
  )
    .option("--json", "print as JSON", false)
    .action(async (image: string | undefined, opts) => {
      if (opts.server) {
        setExit(await runVaultAttestationsList(image, opts, io));
        return;
      }
      if (!image) throw new ProvenantError("USAGE", "attestations list needs an IMAGE, or --server URL with --digest sha256:HEX or an ARTIFACT");
      setExit(await runAttestationsList({ image, json: opts.json, ...registryOptions(opts) }, io));
    });
}
