import { access } from "node:fs/promises";
import { resolve } from "node:path";
import { type GeneratedAlgorithm, GENERATED_ALGORITHMS, generateKeyPair, ProvenantError } from "@provenant/core";
import { type Io, replaceFilesAtomically } from "../io.js";

export interface KeysGenerateInputs {
  algorithm: string;
  out: string;
  /** Name of the environment variable holding the password, not the password. */
  passwordEnv?: string;
  force: boolean;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

export async function keysGenerate(inputs: KeysGenerateInputs, io: Io): Promise<number> {
  if (!GENERATED_ALGORITHMS.includes(inputs.algorithm as GeneratedAlgorithm)) {
    throw new ProvenantError(
      "USAGE",
      `--algorithm ${inputs.algorithm}: expected one of ${GENERATED_ALGORITHMS.join(", ")}`,
    );
  }
  let password: string | undefined;
  if (inputs.passwordEnv) {
    password = io.env[inputs.passwordEnv];
    if (!password) {
      throw new ProvenantError("USAGE", `--password-env ${inputs.passwordEnv}: that variable is empty or unset`);
    }
  }
  const keyPath = resolve(io.cwd, `${inputs.out}.key`);
  const pubPath = resolve(io.cwd, `${inputs.out}.pub`);
  if (!inputs.force) {
    for (const path of [keyPath, pubPath]) {
      if (await exists(path)) {
        throw new ProvenantError("USAGE", `${path} exists; choose another --out PREFIX or pass --force`);
      }
    }
  }
  const pair = generateKeyPair(inputs.algorithm as GeneratedAlgorithm, password);
  await replaceFilesAtomically([
    { path: keyPath, data: pair.privateKeyPem, mode: 0o600 },
    { path: pubPath, data: pair.publicKeyPem, mode: 0o644 },
  ]);
  io.stderr(
    `wrote ${keyPath} (private, ${password ? "encrypted, " : ""}mode 0600) and ${pubPath} (public)\n`,
  );
  io.stdout(`${pair.keyId}\n`);
  return 0;
}
