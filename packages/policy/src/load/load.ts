import { createHash, type KeyObject } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { keyIdOf, ProvenantError, publicKeyFromPem } from "@provenant/core";
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

/** A policy ready to evaluate: keys loaded, CEL parsed, Rego compiled. */
export interface LoadedPolicy {
  file: PolicyFile;
  /** Where it came from (a path, or a description for in-memory policies). */
  source: string;
  /** SHA-256 of the file's bytes, as a VSA's policy digest. */
  digest: { sha256: string };
  keys: PolicyKey[];
  rules: LoadedRule[];
}

export interface LoadOptions {
  /** Reads a file the policy names (keys, Rego, wasm); paths are resolved against the policy's folder. */
  readFile?: (path: string) => Promise<Uint8Array>;
  /** The opa binary for `module:` rules (default `opa` on PATH). */
  opa?: string;
  /** Cache of Rego modules compiled to wasm. */
  cacheDir: string;
  fetch?: typeof fetch;
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
  return {
    file,
    source: options.source,
    digest: { sha256: options.digest ?? createHash("sha256").update(JSON.stringify(file)).digest("hex") },
    keys,
    rules,
  };
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
  return opaModuleEvaluator(module, rego.entrypoint, `${where} ${rego.module}`, {
    cacheDir: options.cacheDir,
    ...(options.opa ? { opa: options.opa } : {}),
  });
}
