import { readdir } from "node:fs/promises";
import { homedir } from "node:os";
import { join, resolve, dirname } from "node:path";
import {
  type DigestSet,
  keySigner,
  parseDigestReference,
  ProvenantError,
  signEnvelope,
  toBundle,
} from "@provenant/core";
import {
  type CaseResult,
  evaluateArtifacts,
  explainDecisions,
  type LoadedPolicy,
  type LoadOptions,
  loadPolicy,
  parsePolicyCase,
  policyJsonSchema,
  runPolicyCase,
  vsaStatement,
} from "@provenant/policy";
import { type Io, readTextFile, replaceFileAtomically } from "../io.js";
import { loadSigningKey } from "../keys/load.js";
import { printable } from "../output/escape.js";
import { type RegistryOptions, resolveSubjects } from "@provenant/subjects";
import { subjectProgress } from "../output/progress.js";
import { loadLogTrust } from "./log-trust.js";
import { readSignedDocuments } from "./verify.js";

/** Where Rego modules compiled by the opa binary are cached (by content hash). */
function regoCacheDir(io: Io): string {
  const base = io.env.XDG_CACHE_HOME || join(io.env.HOME || homedir(), ".cache");
  return join(base, "provenant", "rego");
}

async function openPolicy(file: string, io: Io, log?: LoadOptions["log"]): Promise<LoadedPolicy> {
  // PROVENANT_OPA names the opa binary for `module:` Rego rules; default: `opa` on PATH.
  const opa = io.env.PROVENANT_OPA;
  return loadPolicy(resolve(io.cwd, file), { cacheDir: regoCacheDir(io), ...(opa ? { opa } : {}), ...(log ? { log } : {}) });
}

async function readDocuments(paths: readonly string[], io: Io): Promise<unknown[]> {
  const documents: unknown[] = [];
  for (const path of paths) {
    documents.push(...readSignedDocuments(await readTextFile(resolve(io.cwd, path), "attestation"), path));
  }
  return documents;
}

export function runPolicySchema(io: Io): number {
  io.stdout(`${JSON.stringify(policyJsonSchema(), null, 2)}\n`);
  return 0;
}

/** `policy check FILE`: schema, keys, CEL and Rego all load; for CI of the policy repository. */
export async function runPolicyCheck(inputs: { file: string; json: boolean }, io: Io): Promise<number> {
  const policy = await openPolicy(inputs.file, io);
  const summary = {
    policy: inputs.file,
    sha256: policy.digest.sha256,
    keys: policy.keys.map((k) => ({ name: k.name, keyId: k.keyId, service: k.service })),
    ...(policy.log && { log: { key: policy.log.source, inclusionProof: policy.log.required ? "required" : "checked when present" } }),
    rules: policy.rules.map((r) => ({ name: r.rule.name, cel: r.cel.length, rego: r.rego.map((e) => e.description), evidence: r.evidence.length })),
  };
  if (inputs.json) {
    io.stdout(`${JSON.stringify(summary, null, 2)}\n`);
  } else {
    io.stdout(`policy ${printable(inputs.file)} (sha256:${policy.digest.sha256}) is valid\n`);
    for (const key of summary.keys) io.stdout(`  key ${printable(key.name)} ${key.keyId}${key.service ? " (service)" : ""}\n`);
    if (summary.log) io.stdout(`  vault log key ${printable(summary.log.key)}: inclusion proof ${summary.log.inclusionProof}\n`);
    for (const rule of summary.rules) {
      io.stdout(`  rule ${printable(rule.name)}: ${rule.evidence} evidence requirement(s), ${rule.cel} CEL, ${rule.rego.length} Rego\n`);
    }
  }
  return 0;
}

const CASE_FILE = /\.(ya?ml|json)$/;

/** `policy test FILE --cases DIR`: each case file an evidence set with its expected decision. */
export async function runPolicyTest(inputs: { file: string; cases: string; json: boolean }, io: Io): Promise<number> {
  const policy = await openPolicy(inputs.file, io);
  const dir = resolve(io.cwd, inputs.cases);
  const names = (await readdir(dir).catch((cause) => {
    throw new ProvenantError("IO_ERROR", `--cases ${inputs.cases} cannot be read; expected a directory of case files`, { cause });
  }))
    .filter((name) => CASE_FILE.test(name))
    .sort();
  if (names.length === 0) throw new ProvenantError("USAGE", `--cases ${inputs.cases} holds no .yaml, .yml or .json case files`);
  const results: CaseResult[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const testCase = parsePolicyCase(await readCase(path), join(inputs.cases, name));
    const documents = await readDocuments(testCase.evidence.map((e) => resolve(dirname(path), e)), io);
    results.push(await runPolicyCase(policy, testCase, documents, join(inputs.cases, name)));
  }
  const failed = results.filter((r) => !r.pass);
  if (inputs.json) {
    io.stdout(`${JSON.stringify(results.map(({ decision: _d, ...r }) => r), null, 2)}\n`);
  } else {
    for (const r of results) io.stdout(`${r.pass ? "PASS" : "FAIL"}  ${printable(r.source)}: ${printable(r.name)}: ${printable(r.reason)}\n`);
    io.stdout(`${results.length - failed.length} of ${results.length} case(s) passed\n`);
  }
  return failed.length === 0 ? 0 : 1;
}

async function readCase(path: string): Promise<unknown> {
  const { parse } = await import("yaml");
  const text = await readTextFile(path, "policy case");
  try {
    return parse(text, { maxAliasCount: 0 });
  } catch (cause) {
    throw new ProvenantError("INVALID_POLICY", `${path}: not valid YAML or JSON; expected a policy case`, { cause });
  }
}

export interface VerifyPolicyInputs {
  artifacts: readonly string[];
  digests: readonly string[];
  bundle?: string;
  evidence: readonly string[];
  policy: string;
  json: boolean;
  vsa?: string;
  vsaKey?: string;
  /** Evidence: the attestations stored beside this image in its registry (the image is the artifact). */
  image?: string;
  registry?: RegistryOptions;
  /** Evidence: the attestations this vault holds for each artifact's digest. */
  server?: string;
  /** The vault's log key, for a policy whose trust.log names none. */
  logKey?: string;
  trustedRoot?: string;
  logOrigin?: string;
}

/**
 * `verify ARTIFACT… --policy FILE`: every artifact with all the evidence
 * given (files, the image's registry, the vault), checked against the file;
 * `--vsa` writes a signed SLSA Verification Summary for a later gate.
 */
export async function runVerifyWithPolicy(inputs: VerifyPolicyInputs, io: Io): Promise<number> {
  const files = [...(inputs.bundle ? [inputs.bundle] : []), ...inputs.evidence];
  if (inputs.image && inputs.server) throw new ProvenantError("USAGE", "--policy: give --image or --server, not both");
  if (files.length === 0 && !inputs.image && !inputs.server) {
    throw new ProvenantError("USAGE", "no evidence; give --bundle FILE and/or --evidence FILE (repeatable), --image IMAGE or --server URL");
  }
  if (inputs.image && (inputs.artifacts.length > 0 || inputs.digests.length > 0)) {
    throw new ProvenantError("USAGE", "--image: the image is the artifact; give it without ARTIFACT or --digest");
  }
  const artifacts: { name: string; digest: DigestSet; image?: string }[] = inputs.digests.map((text) => {
    const digest = parseDigestReference(text);
    if (!digest) throw new ProvenantError("INVALID_DIGEST", `--digest ${text}: expected sha256:<64 lowercase hex characters>`);
    return { name: text, digest: { [digest.algorithm]: digest.hex } };
  });
  if (inputs.artifacts.length > 0) {
    const subjects = await resolveSubjects(
      { patterns: inputs.artifacts, checksumFiles: [], digests: [], progress: subjectProgress(io, !inputs.json), refuseSkipped: true },
      io,
    );
    artifacts.push(...subjects.map((s, i) => ({ name: s.name ?? inputs.artifacts[i] ?? "artifact", digest: s.digest })));
  }
  if (artifacts.length === 0 && !inputs.image) throw new ProvenantError("USAGE", "nothing to verify; give ARTIFACT... or --digest sha256:HEX");
  if (inputs.logOrigin && !inputs.logKey && !inputs.trustedRoot) {
    throw new ProvenantError("USAGE", "--log-origin goes with --log-key or --trusted-root; with a policy, pin it as trust.log.origin");
  }
  const logFlag = inputs.logKey || inputs.trustedRoot ? await loadLogTrust(inputs, io) : undefined;
  const policy = await openPolicy(
    inputs.policy,
    io,
    logFlag && { publicKey: logFlag.publicKey, source: inputs.logKey ?? inputs.trustedRoot!, ...(logFlag.origin ? { origin: logFlag.origin } : {}) },
  );
  if (inputs.server && !policy.log) {
    throw new ProvenantError(
      "USAGE",
      "--server: the vault's attestations are checked against its log; name its key in the policy (trust.log: trustedRoot, key or pem) or give --log-key FILE or --trusted-root FILE",
    );
  }
  const shared = await readDocuments(files, io);
  const gathered: { artifact: (typeof artifacts)[number]; documents: unknown[] }[] = [];
  if (inputs.image) {
    const { imageEvidence } = await import("./policy-evidence.js");
    const found = await imageEvidence(inputs.image, inputs.registry ?? { insecureRegistries: [] }, io);
    gathered.push({ artifact: found.artifact, documents: [...found.documents, ...shared] });
  } else if (inputs.server) {
    const { vaultEvidence } = await import("./policy-evidence.js");
    for (const artifact of artifacts) gathered.push({ artifact, documents: [...(await vaultEvidence(inputs.server, artifact.digest, io)), ...shared] });
  } else {
    for (const artifact of artifacts) gathered.push({ artifact, documents: shared });
  }
  const now = new Date();
  for (const { artifact, documents } of gathered) {
    if (documents.length === 0 && !inputs.json) io.stderr(`provenant: no attestation found for ${printable(artifact.name)}\n`);
  }
  const { allowed, decisions } = await evaluateArtifacts(policy, gathered, { now });
  if (inputs.json) {
    const shown = decisions.map(({ artifact, decision }) => {
      const { report, inputAttestations: _i, rules, ...rest } = decision;
      // Per-document reports stay out of the policy's JSON: each rule's checks explain it.
      const shownRules = rules.map(({ reports: _r, ...rule }) => rule);
      return { artifact, ...rest, rules: shownRules, ...(report ? { slsaLevel: report.slsaLevel } : {}) };
    });
    io.stdout(`${JSON.stringify({ policy: inputs.policy, allowed, artifacts: shown }, null, 2)}\n`);
  } else {
    // Each artifact's lines start with `artifact NAME`: a file named "::error::…" or "##vso[…" must not read as a CI log command.
    for (const line of explainDecisions(decisions)) io.stdout(`${printable(line)}\n`);
  }
  if (inputs.vsa) {
    const key = await loadSigningKey(inputs.vsaKey, io);
    const statements = decisions.map(({ artifact, decision }) =>
      vsaStatement({
        decision,
        policy,
        policyUri: inputs.policy,
        artifact,
        resourceUri: artifact.name,
        verifierId: "https://provenant.dev/verifier/cli",
        timeVerified: now,
      }),
    );
    const lines: string[] = [];
    for (const statement of statements) {
      const envelope = await signEnvelope(Buffer.from(JSON.stringify(statement)), [keySigner(key)]);
      lines.push(JSON.stringify(toBundle(envelope)));
    }
    await replaceFileAtomically(resolve(io.cwd, inputs.vsa), `${lines.join("\n")}\n`);
    if (!inputs.json) io.stdout(`wrote ${statements.length} verification summary attestation(s) to ${printable(inputs.vsa)}\n`);
  }
  return allowed ? 0 : 1;
}

/**
 * The rule and key flags `verify --policy` refuses. A policy file is the
 * whole, reviewed decision: a flag silently added to it would make the
 * policy digest a VSA records differ from what was evaluated, so the two
 * are not mixed; put the rule in the file instead.
 */
export const POLICY_EXCLUSIVE_FLAGS = [
  "key",
  "serviceKey",
  "builderId",
  "buildType",
  "sourceUri",
  "sourceBranch",
  "sourceTag",
  "sourceVersionedTag",
  "sourceCommit",
  "slsaLevel",
  "predicateType",
  "buildInput",
  "denySelfHosted",
  "allowAnySource",
] as const;

export function refuseFlagsBesidePolicy(mixed: readonly string[], threshold: number): void {
  const named = mixed.map((f) => `--${f.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
  if (threshold !== 1) named.push("--threshold");
  if (named.length > 0) throw new ProvenantError("USAGE", `--policy carries its own keys and rules; leave out ${named.join(", ")}`);
}
