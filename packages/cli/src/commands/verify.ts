import { resolve } from "node:path";
import {
  parseDigestReference,
  ProvenantError,
  type Policy,
  parsePolicy,
  readSignedDocumentsText,
  serviceKeysOfTrustedRoot,
  terminalJson,
  type VerificationReport,
} from "@provenant/core";
import { type ArtifactUnderTest, compilePolicy, evaluatePolicy, type FlagKey, type LoadOptions, policyFromFlags } from "@provenant/policy";
import { DEFAULT_MAX_BUNDLE_BYTES, readBoundedText } from "../input/bounded-read.js";
import { type Io, parseJson, readTextFile } from "../io.js";
import { loadTrustedKeys } from "../keys/load.js";
import { subjectProgress } from "../output/progress.js";
import { renderReport } from "../output/report.js";
import { resolveSubjects } from "@provenant/subjects";

export interface VerifyInputs {
  artifacts: readonly string[];
  digests: readonly string[];
  bundle: string;
  keys: readonly string[];
  /** `--service-key` files: the signing service's public keys. */
  serviceKeys?: readonly string[];
  /** `--trusted-root FILE` (written by provenant server): the keys its `provenant_serviceKeys` marks are service keys. */
  trustedRoot?: string;
  threshold: number;
  policy: Policy;
  json: boolean;
  /** Verify without any source or builder identity (`--allow-any-source`). */
  allowAnySource?: boolean;
  /** Cap on the bytes read from --bundle (default 64 MiB). */
  maxBundleBytes?: number;
}

/**
 * Refuses a verification that could pass by accident (issue 11 §3): without
 * `--source-uri`, `--builder-id` or a policy naming one, a key that signs for
 * many repositories would vouch for all of them. slsa-verifier requires
 * `--source-uri` for the same reason. `--allow-any-source` says it on purpose,
 * and the report notes it.
 */
export function requireIdentity(policy: Policy, allowAnySource: boolean | undefined): void {
  if (policy.sourceUri || policy.builderId || allowAnySource) return;
  throw new ProvenantError(
    "USAGE",
    "no identity required: give --source-uri REPO (e.g. github.com/acme/app) or --builder-id ID, or --allow-any-source to accept provenance for any repository the key signed",
  );
}

/** `--build-input NAME=VALUE` (repeatable) as a record; a flag without `=` is a usage error. */
export function parseBuildInputs(values: readonly string[]): Record<string, string> | undefined {
  if (values.length === 0) return undefined;
  const inputs: Record<string, string> = {};
  for (const text of values) {
    const eq = text.indexOf("=");
    if (eq <= 0) throw new ProvenantError("USAGE", `--build-input ${text}: expected NAME=VALUE`);
    inputs[text.slice(0, eq)] = text.slice(eq + 1);
  }
  return inputs;
}

/** Reads a bundle, a single envelope, or a `.intoto.jsonl` collection (one envelope a line). */
export function readSignedDocuments(text: string, path: string): unknown[] {
  return readSignedDocumentsText(text, path);
}

/** Reads --bundle (bounded; pipes allowed, devices refused) into signed documents. */
export async function readBundleFile(path: string, cwd: string, maxBytes = DEFAULT_MAX_BUNDLE_BYTES): Promise<unknown[]> {
  return readSignedDocumentsText(await readBoundedText(resolve(cwd, path), "bundle", maxBytes), path);
}

/**
 * `--key` and `--service-key` files as a flag policy's trusted keys, named by
 * the flag that gave them. Loaded by loadTrustedKeys, so unreadable keys fail
 * with the same KEY_UNREADABLE errors as ever.
 */
export async function flagKeys(keys: readonly string[], serviceKeys: readonly string[] | undefined, cwd: string): Promise<FlagKey[]> {
  const loaded = await loadTrustedKeys(keys, serviceKeys, cwd);
  const names = [...keys.map((k) => `--key ${k}`), ...(serviceKeys ?? []).map((k) => `--service-key ${k}`)];
  return loaded.map((key, i) => ({
    name: names[i]!,
    pem: key.publicKey.export({ type: "spki", format: "pem" }).toString(),
    ...(key.service && { service: true }),
  }));
}

/**
 * `--key`, `--service-key` and the signing service keys a `--trusted-root`
 * file marks (its `provenant_serviceKeys`), as `verify --server` reads them:
 * the root's keys count as service keys, so a bundle the service signed can
 * reach L3 with no `--service-key`. Given only the root, its service keys are
 * the trusted keys; a root that marks none adds nothing (and the usual "give
 * --key or --service-key" error follows when no key is given at all).
 */
export async function flagKeysWithTrustedRoot(
  inputs: { keys: readonly string[]; serviceKeys?: readonly string[]; trustedRoot?: string },
  cwd: string,
): Promise<FlagKey[]> {
  const fromRoot: FlagKey[] = [];
  if (inputs.trustedRoot) {
    const root = parseJson(await readTextFile(resolve(cwd, inputs.trustedRoot), "trusted root"), inputs.trustedRoot);
    for (const publicKey of serviceKeysOfTrustedRoot(root, inputs.trustedRoot)) {
      fromRoot.push({
        name: `the signing service key of ${inputs.trustedRoot}`,
        pem: publicKey.export({ type: "spki", format: "pem" }).toString(),
        service: true,
      });
    }
  }
  const given = inputs.keys.length > 0 || (inputs.serviceKeys?.length ?? 0) > 0 || fromRoot.length === 0;
  return [...(given ? await flagKeys(inputs.keys, inputs.serviceKeys, cwd) : []), ...fromRoot];
}

/**
 * Today's flags as an in-memory policy (one rule, every artifact), evaluated
 * by @provenant/policy like any policy file. `reports` holds one report per
 * document, in order: core's checks with the flags' checks, rendered as they
 * always were. `log` (from --log-key/--trusted-root) adds each document's
 * log proof as a required check.
 */
export async function evaluateFlags(
  rules: Policy,
  keys: readonly FlagKey[],
  threshold: number,
  artifacts: readonly ArtifactUnderTest[],
  documents: readonly unknown[],
  log?: LoadOptions["log"],
): Promise<{ allowed: boolean; reports: VerificationReport[] }> {
  const policy = await compilePolicy(policyFromFlags(rules, keys, threshold), { source: "command-line flags", ...(log && { log }) });
  const [first, ...rest] = artifacts;
  const decision = await evaluatePolicy(policy, first!, documents, { now: new Date(), alsoNamed: rest, everyDocument: true });
  return { allowed: decision.allowed, reports: decision.rules[0]?.reports ?? [] };
}

export async function runVerify(inputs: VerifyInputs, io: Io): Promise<number> {
  if (!inputs.bundle) throw new ProvenantError("USAGE", "no --bundle FILE; give one, or --image IMAGE to verify what its registry stores");
  if (inputs.artifacts.length === 0 && inputs.digests.length === 0) {
    throw new ProvenantError("USAGE", "nothing to verify against; give ARTIFACT... or --digest sha256:HEX");
  }
  const policy = parsePolicy(inputs.policy);
  requireIdentity(policy, inputs.allowAnySource);
  const keys = await flagKeysWithTrustedRoot(inputs, io.cwd);
  const artifacts: ArtifactUnderTest[] = inputs.digests.map((text) => {
    const digest = parseDigestReference(text);
    if (!digest) throw new ProvenantError("INVALID_DIGEST", `--digest ${text}: expected sha256:<64 lowercase hex characters>`);
    return { digest: { [digest.algorithm]: digest.hex } };
  });
  if (inputs.artifacts.length > 0) {
    const subjects = await resolveSubjects(
      { patterns: inputs.artifacts, checksumFiles: [], digests: [], progress: subjectProgress(io, !inputs.json), refuseSkipped: true },
      io,
    );
    for (const subject of subjects) artifacts.push({ digest: subject.digest, ...(subject.name !== undefined && { name: subject.name }) });
  }
  const documents = await readBundleFile(inputs.bundle, io.cwd, inputs.maxBundleBytes);
  const { allowed, reports } = await evaluateFlags(policy, keys, inputs.threshold, artifacts, documents);
  // A collection verifies when one of its envelopes does (slsa-verifier's rule for .intoto.jsonl).
  const chosen = reports.find((r) => r.verified);
  const shown = chosen ? [chosen] : reports;
  if (inputs.json) {
    const strip = ({ statement: _s, ...rest }: VerificationReport) => rest;
    io.stdout(`${terminalJson(shown.length === 1 ? strip(shown[0]!) : shown.map(strip))}\n`);
  } else {
    shown.forEach((report, i) => {
      if (shown.length > 1) io.stdout(`envelope ${i + 1} of ${shown.length}:\n`);
      io.stdout(renderReport(report, io));
    });
  }
  if (allowed && chosen) return 0;
  // Not a bundle or envelope at all (its first check, "bundle", failed): that
  // is unreadable input, exit 2, as for inspect; a document that could be read
  // and did not verify is a failed verification, exit 1.
  const unreadable = reports.every((report) => report.checks.find((check) => check.id === "bundle")?.status === "fail");
  return unreadable ? 2 : 1;
}
