import { access, readFile } from "node:fs/promises";
import { resolve } from "node:path";
import {
  attest,
  bundleTextPieces,
  terminalJson,
  detectPlatform,
  keySigner,
  PLATFORM_NAMES,
  type PlatformName,
  ProvenantError,
} from "@provenant/core";
import { type Io, replaceFileAtomically } from "../io.js";
import { loadSigningKey } from "../keys/load.js";
import { ADAPTERS } from "../platforms/registry.js";
import { subjectProgress } from "../output/progress.js";
import { resolveSubjects, type SubjectInputs } from "@provenant/subjects";
import { pushAfterAttest, type PushResult } from "./oci.js";

export interface AttestInputs extends Omit<SubjectInputs, "progress"> {
  key?: string;
  platform: string;
  bundle: string;
  /** Overwrite an existing bundle. */
  force?: boolean;
  intotoJsonl?: string;
  json: boolean;
  /** Platform-specific options (token audience and the like). */
  platformOptions: Record<string, string | undefined>;
  /** Push the bundle beside each `oci://` subject. */
  push?: boolean;
}

export function choosePlatform(requested: string, env: Io["env"]): PlatformName {
  if (requested === "auto") return detectPlatform(env);
  if (!PLATFORM_NAMES.includes(requested as PlatformName)) {
    throw new ProvenantError("USAGE", `--platform ${requested}: expected auto or one of ${PLATFORM_NAMES.join(", ")}`);
  }
  return requested as PlatformName;
}

export async function runAttest(inputs: AttestInputs, io: Io): Promise<number> {
  if (inputs.patterns.length + inputs.checksumFiles.length + inputs.digests.length === 0) {
    throw new ProvenantError("EMPTY_SUBJECTS", "no subjects; give SUBJECT..., --checksums FILE or --digest NAME=sha256:HEX");
  }
  const platform = choosePlatform(inputs.platform, io.env);
  const pushTargets = inputs.patterns.filter((pattern) => pattern.startsWith("oci://"));
  if (inputs.push && pushTargets.length === 0) {
    throw new ProvenantError("USAGE", "--push needs at least one oci://REGISTRY/REPO[:TAG|@DIGEST] subject to push beside");
  }
  // Read the key first: a bad key should fail before minutes of hashing.
  const signer = keySigner(await loadSigningKey(inputs.key, io));
  await refuseOverwrite(inputs, io);
  const subjects = await resolveSubjects({ ...inputs, progress: subjectProgress(io, !inputs.json) }, io);
  const adapter = await ADAPTERS[platform]();
  const provenance = await adapter.collect({
    env: io.env,
    cwd: io.cwd,
    fetch: globalThis.fetch,
    warn: (message) => io.stderr(`provenant: warning: ${message}\n`),
    now: () => new Date(),
    options: inputs.platformOptions,
  });
  const { bundle, envelope, statement } = await attest(subjects, provenance, signer);

  const bundlePath = resolve(io.cwd, inputs.bundle);
  await replaceFileAtomically(bundlePath, bundleTextPieces(bundle));
  let jsonlPath: string | undefined;
  if (inputs.intotoJsonl) {
    jsonlPath = resolve(io.cwd, inputs.intotoJsonl);
    // A collection grows by whole lines: rewrite through a temp file rather
    // than append, so a crash never leaves half a line.
    const existing = await readFile(jsonlPath, "utf8").catch((error: NodeJS.ErrnoException) => {
      // Only a collection that does not exist yet starts empty: an unreadable
      // one must not be replaced by a file holding just this envelope.
      if (error.code === "ENOENT") return "";
      throw new ProvenantError("IO_ERROR", `cannot read the collection ${jsonlPath}: ${error.message}; expected a readable .intoto.jsonl file or none`, { cause: error });
    });
    const prefix = existing === "" || existing.endsWith("\n") ? existing : `${existing}\n`;
    await replaceFileAtomically(jsonlPath, `${prefix}${JSON.stringify(envelope)}\n`);
  }
  const pushed: PushResult[] = inputs.push
    ? await pushAfterAttest(pushTargets, bundle, statement, io, inputs.registry ?? { insecureRegistries: [] })
    : [];
  if (inputs.json) {
    io.stdout(
      `${terminalJson({ platform, bundle: bundlePath, intotoJsonl: jsonlPath, keyId: signer.keyId, subjects: statement.subject, ...(inputs.push && { pushed }) })}\n`,
    );
  } else {
    io.stderr(`attested ${statement.subject.length} subject(s) on platform ${platform}, signed by key ${signer.keyId}\n`);
    io.stdout(`${bundlePath}\n`);
    if (jsonlPath) io.stdout(`${jsonlPath}\n`);
    for (const p of pushed) io.stderr(`pushed attestation ${p.attestation} beside ${p.image} (${p.via})\n`);
  }
  return 0;
}

export const DEFAULT_BUNDLE = "provenance.sigstore.json";

/**
 * An existing bundle is another run's evidence: kept unless --force, as
 * `keys generate` keeps keys. A CI job writing the default path in its own
 * fresh workspace is the exception (a re-run of the job).
 */
async function refuseOverwrite(inputs: AttestInputs, io: Io): Promise<void> {
  if (inputs.force) return;
  if (inputs.bundle === DEFAULT_BUNDLE && (io.env.CI ?? "") !== "" && io.env.CI !== "false") return;
  const path = resolve(io.cwd, inputs.bundle);
  const exists = await access(path).then(
    () => true,
    () => false,
  );
  if (exists) throw new ProvenantError("USAGE", `${path} exists; pass --force to overwrite it, or --bundle FILE to write elsewhere`);
}
