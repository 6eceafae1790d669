import { readFile, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { type DigestSet, type Environment, ProvenantError, readSignedDocumentsText } from "@provenant/core";
import { formatImageReference, imageDigestSet, imageName, parseImageArgument, pullAttestations, resolveImage } from "@provenant/oci";
import { type ArtifactDecision, evaluateArtifacts, explainDecisions, loadPolicy, policySummaryMarkdown } from "@provenant/policy";
import { type RegistryConnection, taskRegistryClient } from "../registry.js";
import { subjectsOf } from "../subjects.js";
import type { TaskIo } from "../task-io.js";
import { logText } from "./escape.js";

/** ProvenantVerify@1 with `policy`: the policy file decides, with the bundle and any other evidence. */
export interface PolicyVerifyInputs {
  /** The policy file (`apiVersion: provenant.dev/v1`), relative to the working directory. */
  policyPath: string;
  artifactPatterns: string[];
  /** The provenance bundle; and further attestations (test results, scans, VSAs) as `evidence`. */
  bundlePath?: string;
  /**
   * Or an image: it is the artifact (by its digest; rules match it by
   * `match.images`), and every attestation stored beside it in its registry
   * is evidence, with any `evidence` files.
   */
  image?: string;
  registryConnection?: RegistryConnection;
  /** The job's variables: DOCKER_CONFIG, HOME, PROVENANT_INSECURE_REGISTRIES. */
  environment?: Environment;
  evidencePaths: string[];
  workingDirectory: string;
  /** Where Rego modules compiled by `opa` are cached (the agent's temp directory). */
  cacheDir: string;
  /** The opa binary for `module:` Rego rules (default `opa` on PATH). */
  opa?: string;
}

export interface PolicyVerifyResult {
  allowed: boolean;
  decisions: ArtifactDecision<{ name: string; digest: DigestSet; image?: string }>[];
  /** With `image`: the image checked, by the digest its tag resolved to (`REGISTRY/REPO@sha256:…`). */
  imageDigest?: string;
  /** The per-rule explanation for the summary tab, every quoted value escaped. */
  summaryMarkdown: string;
  /** The lowest SLSA Build level among the artifacts' deciding reports (0 when one has none). */
  slsaLevel: number;
}

const MAX_EVIDENCE_BYTES = 64 * 1024 * 1024;

async function readEvidence(path: string, workingDirectory: string): Promise<unknown[]> {
  const full = resolve(workingDirectory, path);
  const info = await stat(full).catch((cause: unknown) => {
    throw new ProvenantError("IO_ERROR", `cannot read ${path}: ${(cause as Error).message}`, { cause });
  });
  if (!info.isFile()) throw new ProvenantError("IO_ERROR", `${path} is not a regular file; expected a Sigstore bundle or .intoto.jsonl`);
  if (info.size > MAX_EVIDENCE_BYTES) throw new ProvenantError("IO_ERROR", `${path} is larger than ${MAX_EVIDENCE_BYTES} bytes`);
  return readSignedDocumentsText(await readFile(full, "utf8"), path);
}

/**
 * Evaluates the policy for every artifact with all the evidence given, the
 * way `provenant verify --policy` does (one evaluation path: @provenant/policy's
 * evaluateArtifacts, explainDecisions and policySummaryMarkdown).
 * A denial is a result, not a throw; the entry fails the task on it.
 */
export async function runPolicyVerify(inputs: PolicyVerifyInputs, io: TaskIo): Promise<PolicyVerifyResult> {
  if (inputs.image ? inputs.artifactPatterns.length > 0 || inputs.bundlePath : inputs.artifactPatterns.length === 0 || !inputs.bundlePath) {
    throw new ProvenantError(
      "USAGE",
      inputs.image
        ? "policy with image: the image is the artifact and its registry holds the evidence; leave out artifacts and bundlePath"
        : "policy is set but no artifacts and bundlePath (or image); expected the files to check, one per line, and their provenance bundle",
    );
  }
  const policy = await loadPolicy(resolve(inputs.workingDirectory, inputs.policyPath), {
    cacheDir: inputs.cacheDir,
    fetch: io.fetch,
    ...(inputs.opa ? { opa: inputs.opa } : {}),
  });
  const documents: unknown[] = [];
  for (const path of [...(inputs.bundlePath ? [inputs.bundlePath] : []), ...inputs.evidencePaths]) {
    documents.push(...(await readEvidence(path, inputs.workingDirectory)));
  }
  let artifacts: { name: string; digest: DigestSet; image?: string }[];
  let imageDigest: string | undefined;
  if (inputs.image) {
    const stored = await imageEvidence(inputs.image, inputs, io);
    documents.push(...stored.documents);
    artifacts = [stored.artifact];
    imageDigest = stored.imageDigest;
  } else {
    const subjects = await subjectsOf(inputs.artifactPatterns, { workingDirectory: inputs.workingDirectory, what: "artifact", warn: io.warn, refuseSkipped: true });
    artifacts = subjects.map((subject) => ({ name: subject.name ?? `sha256:${subject.digest.sha256}`, digest: subject.digest }));
  }
  const { allowed, decisions, slsaLevel } = await evaluateArtifacts(
    policy,
    artifacts.map((artifact) => ({ artifact, documents })),
    { now: io.now() },
  );
  // Every line quotes the evidence: escaped for the log (no control
  // characters, no logging command); the summary escapes for its markdown.
  for (const line of explainDecisions(decisions)) io.log(logText(line));
  io.log(allowed ? `ALLOWED by policy ${logText(inputs.policyPath)}` : `DENIED by policy ${logText(inputs.policyPath)}`);
  return {
    allowed,
    decisions,
    summaryMarkdown: policySummaryMarkdown({ policyPath: inputs.policyPath, policyDigest: policy.digest, decisions, allowed }),
    slsaLevel,
    ...(imageDigest ? { imageDigest } : {}),
  };
}

/**
 * The image by its digest, and every attestation stored beside it (referrers
 * API, the sha256-<hex> tag index, cosign's .att tag), the way
 * `provenant verify --policy --image` gathers them. Unreadable ones are
 * warned about and left out; the policy decides on the rest.
 */
async function imageEvidence(
  image: string,
  inputs: PolicyVerifyInputs,
  io: TaskIo,
): Promise<{ artifact: { name: string; digest: DigestSet; image: string }; documents: unknown[]; imageDigest: string }> {
  const client = taskRegistryClient(inputs.environment ?? {}, inputs.registryConnection, io.warn);
  const named = parseImageArgument(image);
  const { reference, descriptor } = await resolveImage(client, named);
  const shown = formatImageReference(reference);
  const documents: unknown[] = [];
  for (const pulled of await pullAttestations(client, reference, descriptor.digest)) {
    if (pulled.problem !== undefined || pulled.document === undefined) {
      io.warn(`skipping attestation ${logText(pulled.layerDigest ?? pulled.manifestDigest ?? "")} of ${logText(shown)}: ${logText(pulled.problem ?? "no document")}`);
      continue;
    }
    documents.push(pulled.document);
  }
  io.log(`${documents.length} attestation(s) stored beside ${logText(shown)}`);
  const repository = `${reference.registry}/${reference.repository}`;
  // match.images globs see REGISTRY/REPO, without tag or digest.
  return { artifact: { name: shown, digest: imageDigestSet(descriptor.digest, shown), image: repository }, documents, imageDigest: `${imageName(named)}@${descriptor.digest}` };
}
