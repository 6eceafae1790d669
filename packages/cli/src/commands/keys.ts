import { access, mkdir } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { checkPasswordStrength, type GeneratedAlgorithm, GENERATED_ALGORITHMS, generateKeyPair, ProvenantError } from "@provenant/core";
import { type Io, replaceFilesAtomically } from "../io.js";
import { KEY_PASSWORD_ENV } from "../keys/load.js";

export interface KeysGenerateInputs {
  algorithm: string;
  out: string;
  /** Name of the environment variable holding the password, not the password. */
  passwordEnv?: string;
  /** Encrypt: the password from PROVENANT_KEY_PASSWORD, or asked for on a terminal. */
  password?: boolean;
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
  } else if (inputs.password) {
    password = io.env[KEY_PASSWORD_ENV] || (await askNewPassword(io));
  }
  if (password) checkPasswordStrength(password, inputs.passwordEnv ? `the password in ${inputs.passwordEnv}` : "the password");
  const keyPath = resolve(io.cwd, `${inputs.out}.key`);
  const pubPath = resolve(io.cwd, `${inputs.out}.pub`);
  if (!inputs.force) {
    for (const path of [keyPath, pubPath]) {
      if (await exists(path)) {
        throw new ProvenantError("USAGE", `${path} exists; choose another --out PREFIX or pass --force`);
      }
    }
  }
  // `--out keys/release` makes keys/ (private to its owner) rather than failing on a temp file.
  await mkdir(dirname(keyPath), { recursive: true, mode: 0o700 });
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

async function askNewPassword(io: Io): Promise<string> {
  if (!io.promptSecret) {
    throw new ProvenantError(
      "KEY_PASSWORD_MISSING",
      `--password: set ${KEY_PASSWORD_ENV}, or run on a terminal to be asked; expected a password of at least 12 characters`,
    );
  }
  const first = await io.promptSecret("new key password (12 characters or more): ");
  checkPasswordStrength(first, "the password");
  const again = await io.promptSecret("the same password again: ");
  if (again !== first) throw new ProvenantError("USAGE", "the two passwords differ; nothing was written");
  return first;
}
