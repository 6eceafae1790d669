import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { ProvenantError } from "@provenant/core";
import { type LoadedPolicy, type LoadOptions, loadPolicy } from "@provenant/policy";

/** A policy the server holds, by the name clients ask for. */
export interface ServerPolicy {
  /** The file name without its extension: `policies/release.yaml` is `release`. */
  name: string;
  /** Where it was read from, relative to the data directory (recorded as the VSA's policy uri). */
  file: string;
  policy: LoadedPolicy;
}

/** The folder under the data directory that holds the server's policies. */
export const POLICIES_DIR = "policies";

/** `release.yaml`, `release.yml`, `release.json`: a name a URL and an audit row can carry unescaped. */
const POLICY_FILE = /^([A-Za-z0-9][A-Za-z0-9._-]{0,99})\.(ya?ml|json)$/;

/**
 * Loads every policy file directly in `<data>/policies` (keys, Rego modules
 * and wasm bundles they name are resolved next to them, so subfolders hold
 * those). Each is parsed and compiled at start, so a broken policy stops the
 * server with the policy's own error instead of failing requests later. A
 * missing folder means no policies.
 */
export async function loadServerPolicies(dataDir: string, options: Pick<LoadOptions, "opa" | "fetch"> = {}): Promise<Map<string, ServerPolicy>> {
  const dir = join(dataDir, POLICIES_DIR);
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return new Map();
    throw new ProvenantError("IO_ERROR", `cannot read the policies folder ${dir}: ${(error as Error).message}`, { cause: error });
  }
  // Names first: two files for one name is refused before either is compiled.
  const files = new Map<string, string>();
  for (const fileName of names.sort()) {
    const match = POLICY_FILE.exec(fileName);
    if (!match) continue;
    const seen = files.get(match[1]!);
    if (seen) throw new ProvenantError("INVALID_POLICY", `${dir}: ${seen} and ${fileName} both name the policy ${match[1]}; keep one`);
    files.set(match[1]!, fileName);
  }
  const policies = new Map<string, ServerPolicy>();
  for (const [name, fileName] of files) {
    const policy = await loadPolicy(join(dir, fileName), { ...options, cacheDir: join(dataDir, "cache", "rego") });
    policies.set(name, { name, file: `${POLICIES_DIR}/${fileName}`, policy });
  }
  return policies;
}
