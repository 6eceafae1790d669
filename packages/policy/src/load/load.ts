import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { keyIdOf, parsePolicy, ProvenantError, publicKeyFromPem } from "@provenant/core";
import { type CompiledCel, compileCel } from "../cel/cel.js";
import type { RegoEvaluator } from "../rego/evaluator.js";
import { opaModuleEvaluator } from "../rego/opa-binary.js";
import { opaServerEvaluator } from "../rego/opa-server.js";
import { wasmEvaluator } from "../rego/wasm.js";
import type { EvidenceRequirement, PolicyFile, PolicyRule, RegoRule } from "../schema/policy-file.js";
import { MAX_POLICY_BYTES, parsePolicyFile } from "./parse.js";

export interface PolicyKey {
  name: string;
  keyId: string;
  publicKey: KeyObject;
  service: boolean;
}

export interface LoadedRule {
  rule: PolicyRule;
  cel: CompiledCel[];
  evidence: { requirement: EvidenceRequirement; cel: CompiledCel[] }[];
  rego: RegoEvaluator[];
}

/** The vault log attestations must be (or, when present, are checked to be) included in. */
export interface PolicyLog {
  publicKey: KeyObject;
  /** Pinned checkpoint origin; otherwise each checkpoint's own (its signature binds it to the key). */
  origin?: string;
  /** Every attestation must carry a valid inclusion proof; when false, proofs are checked only when present. */
  required: boolean;
  /** Where the key came from, for explanations. */
  source: string;
}

/** A policy ready to evaluate: keys loaded, CEL parsed, Rego compiled. */
export interface LoadedPolicy {
  file: PolicyFile;
  /** Where it came from (a path, or a description for in-memory policies). */
  source: string;
  /** SHA-256 of the file's bytes, as a VSA's policy digest. */
  digest: { sha256: string };
  keys: PolicyKey[];
  rules: LoadedRule[];
  log?: PolicyLog;
}

export interface LoadOptions {
  /** Reads a file the policy names (keys, Rego, wasm); paths are resolved against the policy's folder. */
  readFile?: (path: string) => Promise<Uint8Array>;
  /** The opa binary for `module:` rules (default `opa` on PATH). */
  opa?: string;
  /** Cache of Rego modules compiled to wasm (needed by `module:` rules only). */
  cacheDir?: string;
  fetch?: typeof fetch;
  /**
   * The vault's log key given outside the file (the CLI's --log-key or
   * --trusted-root), for a policy whose `trust.log` names none. Proofs are
   * then required unless the file says `requireInclusionProof: false`.
   */
  log?: { publicKey: KeyObject; origin?: string; source: string };
}

const MAX_REFERENCED_FILE_BYTES = 64 * 1024 * 1024;

async function readBounded(path: string): Promise<Uint8Array> {
  const info = await stat(path).catch((cause) => {
    throw new ProvenantError("INVALID_POLICY", `${path} cannot be read (${(cause as NodeJS.ErrnoException).code ?? "error"})`, { cause });
  });
  if (!info.isFile()) throw new ProvenantError("INVALID_POLICY", `${path} is not a regular file`);
  if (info.size > MAX_REFERENCED_FILE_BYTES) {
    throw new ProvenantError("INVALID_POLICY", `${path} is larger than ${MAX_REFERENCED_FILE_BYTES} bytes`);
  }
  return readFile(path);
}

/** Reads and prepares a policy file from disk. */
export async function loadPolicy(path: string, options: LoadOptions): Promise<LoadedPolicy> {
  const bytes = await readBounded(path);
  if (bytes.length > MAX_POLICY_BYTES) {
    throw new ProvenantError("INVALID_POLICY", `${path}: larger than ${MAX_POLICY_BYTES} bytes; expected a policy file`);
  }
  const file = parsePolicyFile(Buffer.from(bytes).toString("utf8"), path);
  const base = dirname(resolve(path));
  return compilePolicy(file, {
    ...options,
    source: path,
    digest: createHash("sha256").update(bytes).digest("hex"),
    readFile: options.readFile ?? ((p) => readBounded(resolve(base, p))),
  });
}

/** Prepares a parsed policy (from a file, or built in memory from CLI flags). */
export async function compilePolicy(
  file: PolicyFile,
  options: LoadOptions & { source: string; digest?: string },
): Promise<LoadedPolicy> {
  const read = options.readFile ?? ((p: string) => readBounded(p));
  const keys: PolicyKey[] = [];
  const names = new Set<string>();
  for (const [i, key] of file.trust.keys.entries()) {
    if (names.has(key.name)) {
      throw new ProvenantError("INVALID_POLICY", `${options.source}: trust.keys[${i}]: the name ${key.name} is used twice`);
    }
    names.add(key.name);
    const pem = key.pem ?? Buffer.from(await read(key.file!)).toString("utf8");
    const publicKey = publicKeyFromPem(pem, `${options.source}: trust key ${key.name}`);
    keys.push({ name: key.name, keyId: keyIdOf(publicKey), publicKey, service: key.service ?? false });
  }
  const rules: LoadedRule[] = [];
  for (const [r, rule] of file.rules.entries()) {
    const where = `${options.source}: rules[${r}] (${rule.name})`;
    checkProvenanceRules(rule, where);
    for (const signers of [rule.provenance?.signers, ...(rule.evidence ?? []).map((e) => e.signers)]) {
      for (const name of signers?.keys ?? []) {
        if (!names.has(name)) throw new ProvenantError("INVALID_POLICY", `${where}: signer ${name} is not in trust.keys`);
      }
      if (signers?.threshold !== undefined && signers.threshold > signers.keys.length) {
        throw new ProvenantError("INVALID_POLICY", `${where}: threshold ${signers.threshold} is larger than the ${signers.keys.length} key(s) listed`);
      }
    }
    rules.push({
      rule,
      cel: (rule.cel ?? []).map((c, i) => compileCel(c, `${where}.cel[${i}]`)),
      evidence: (rule.evidence ?? []).map((requirement, e) => ({
        requirement,
        cel: (requirement.cel ?? []).map((c, i) => compileCel(c, `${where}.evidence[${e}].cel[${i}]`)),
      })),
      rego: await Promise.all((rule.rego ?? []).map((rego, i) => regoEvaluator(rego, `${where}.rego[${i}]`, read, options))),
    });
  }
  const log = await loadLog(file, options, read);
  return {
    file,
    source: options.source,
    digest: { sha256: options.digest ?? createHash("sha256").update(JSON.stringify(file)).digest("hex") },
    keys,
    rules,
    ...(log ? { log } : {}),
  };
}

/**
 * Source patterns and semver ranges are checked with core's own policy
 * schema when the policy loads (commits by the file's schema), so a bad one
 * is an INVALID_POLICY naming the rule, not a failed check on every artifact
 * later.
 */
function checkProvenanceRules(rule: PolicyRule, where: string): void {
  const p = rule.provenance;
  if (!p) return;
  const values: [string, unknown][] = [
    ...(p.sourceUris ?? []).map((sourceUri): [string, unknown] => ["sourceUri", sourceUri]),
    ...(p.versionedTag !== undefined ? [["sourceVersionedTag", p.versionedTag] as [string, unknown]] : []),
  ];
  for (const [field, value] of values) {
    try {
      parsePolicy({ [field]: value });
    } catch (error) {
      throw new ProvenantError("INVALID_POLICY", `${where}: ${(error as Error).message}`, { cause: error });
    }
  }
}

async function loadLog(
  file: PolicyFile,
  options: LoadOptions & { source: string },
  read: (path: string) => Promise<Uint8Array>,
): Promise<PolicyLog | undefined> {
  const log = file.trust.log;
  const where = `${options.source}: trust.log`;
  let key: { publicKey: KeyObject; source: string } | undefined;
  if (log?.pem !== undefined) key = { publicKey: publicKeyFromPem(log.pem, `${where}.pem`), source: "trust.log.pem" };
  else if (log?.key !== undefined) {
    key = { publicKey: publicKeyFromPem(Buffer.from(await read(log.key)).toString("utf8"), `${where}.key ${log.key}`), source: log.key };
  } else if (log?.trustedRoot !== undefined) {
    key = { publicKey: logKeyOfTrustedRoot(Buffer.from(await read(log.trustedRoot)).toString("utf8"), `${where}.trustedRoot ${log.trustedRoot}`), source: log.trustedRoot };
  }
  if (key && options.log) {
    throw new ProvenantError("INVALID_POLICY", `${where} names the vault's log key and another was given beside the policy; give one`);
  }
  key ??= options.log;
  if (!key) {
    if (log?.requireInclusionProof) {
      throw new ProvenantError("INVALID_POLICY", `${where}: requireInclusionProof needs the vault's log key: add trustedRoot, key or pem`);
    }
    return undefined;
  }
  const origin = log?.origin ?? options.log?.origin;
  return { publicKey: key.publicKey, required: log?.requireInclusionProof ?? true, source: key.source, ...(origin ? { origin } : {}) };
}

/** The log key of a Sigstore TrustedRoot as `provenant server` writes it: tlogs[].publicKey.rawBytes, DER SubjectPublicKeyInfo. */
export function logKeyOfTrustedRoot(text: string, where: string): KeyObject {
  let root: { tlogs?: { publicKey?: { rawBytes?: unknown } }[] };
  try {
    root = JSON.parse(text);
  } catch (cause) {
    throw new ProvenantError("INVALID_POLICY", `${where}: not JSON; expected a Sigstore TrustedRoot written by provenant server`, { cause });
  }
  const rawBytes = Array.isArray(root?.tlogs) ? root.tlogs.find((t) => typeof t?.publicKey?.rawBytes === "string")?.publicKey?.rawBytes : undefined;
  if (typeof rawBytes !== "string") {
    throw new ProvenantError("INVALID_POLICY", `${where}: no tlogs[].publicKey.rawBytes; expected a Sigstore TrustedRoot written by provenant server`);
  }
  try {
    return createPublicKey({ key: Buffer.from(rawBytes, "base64"), format: "der", type: "spki" });
  } catch (cause) {
    throw new ProvenantError("INVALID_POLICY", `${where}: the tlog public key is not DER SubjectPublicKeyInfo`, { cause });
  }
}

async function regoEvaluator(
  rego: RegoRule,
  where: string,
  read: (path: string) => Promise<Uint8Array>,
  options: LoadOptions,
): Promise<RegoEvaluator> {
  if (rego.url) return opaServerEvaluator(rego.url, rego.entrypoint, options.fetch ? { fetch: options.fetch } : {});
  if (rego.wasm) return wasmEvaluator(await read(rego.wasm), rego.entrypoint, `${where} ${rego.wasm}`);
  const module = Buffer.from(await read(rego.module!)).toString("utf8");
  if (!options.cacheDir) throw new ProvenantError("USAGE", `${where}: compiling ${rego.module} needs a cache directory (LoadOptions.cacheDir)`);
  return opaModuleEvaluator(module, rego.entrypoint, `${where} ${rego.module}`, {
    cacheDir: options.cacheDir,
    ...(options.opa ? { opa: options.opa } : {}),
  });
}
