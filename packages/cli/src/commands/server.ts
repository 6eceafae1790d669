import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { keyIdOf, parseDigestReference, parsePolicy, type Policy, ProvenantError, terminalJson, type VerificationReport, verify } from "@provenant/core";
import { type Io, replaceFileAtomically } from "../io.js";
import { loadTrustedKeys } from "../keys/load.js";
import { printable } from "../output/escape.js";
import { renderReport } from "../output/report.js";
import { resolveSubjects } from "@provenant/subjects";
import { subjectProgress } from "../output/progress.js";
import { loadLogTrust, originFor } from "./log-trust.js";
import { attestationsByDigest, uploadDocument, type VaultAttestation, type VaultClientOptions } from "@provenant/server-client";

export const TOKEN_ENV = "PROVENANT_TOKEN";

function clientOptions(server: string, io: Io): VaultClientOptions {
  return { server, token: io.env[TOKEN_ENV] || undefined };
}

export interface ServerInputs {
  data?: string;
  database?: string;
  listen?: string;
  publicRead?: boolean;
}

/**
 * `provenant server`: runs the vault until SIGINT/SIGTERM. The server
 * package (Hono, pino, the stores) is imported here, on demand, so that
 * every other command starts without loading it.
 */
export async function runServer(inputs: ServerInputs, io: Io, signals: { wait(): Promise<void> } = processSignals()): Promise<number> {
  const server = await import("@provenant/server");
  const running = await server.startVaultServer(inputs, io.env, io.cwd, {
    openVault: server.openConfiguredVault,
    logger: server.jsonLogger(),
  });
  const store = running.config.databaseUrl ? `PostgreSQL ${server.redactDatabaseUrl(running.config.databaseUrl)}` : `SQLite in ${running.config.dataDir}`;
  io.stdout(
    [
      `provenant vault listening on ${running.url}`,
      `store: ${store}`,
      `trusted root (for verify --trusted-root): ${running.trustedRootPath}`,
      `signing service key (for verify --service-key): ${resolve(running.config.dataDir, "signing.pub")}`,
      `policies for POST /v1/verify: ${running.policies.length > 0 ? running.policies.map(printable).join(", ") : `none (put policy files in ${resolve(running.config.dataDir, "policies")})`}`,
      "log public key (for verify --log-key):",
      running.logPublicKeyPem.trim(),
      "",
    ].join("\n"),
  );
  await signals.wait();
  await running.close();
  return 0;
}

function processSignals(): { wait(): Promise<void> } {
  return {
    wait: () =>
      new Promise((done) => {
        process.once("SIGINT", () => done());
        process.once("SIGTERM", () => done());
      }),
  };
}

export interface TokenCreateInputs extends ServerInputs {
  project: string;
  scope: string;
  name?: string;
  json: boolean;
}

/** `provenant server token create`: opens the vault's store directly (operator access), prints the secret once. */
export async function runTokenCreate(inputs: TokenCreateInputs, io: Io): Promise<number> {
  if (!["read", "upload", "admin"].includes(inputs.scope)) {
    throw new ProvenantError("USAGE", `--scope ${inputs.scope}: expected read, upload or admin`);
  }
  const server = await import("@provenant/server");
  const config = await server.resolveServerConfig(inputs, io.env, io.cwd);
  const keys = await server.ensureServerKeys(config.dataDir);
  const vault = await server.openConfiguredVault({ config, keys });
  try {
    const created = await vault.createToken({ project: inputs.project, scope: inputs.scope as "read", name: inputs.name }, "cli");
    if (inputs.json) io.stdout(`${JSON.stringify({ id: created.id, token: created.token, project: inputs.project, scope: inputs.scope })}\n`);
    else {
      io.stderr(`created ${inputs.scope} token ${created.id} for project ${printable(inputs.project)}; it is shown once, store it now:\n`);
      io.stdout(`${created.token}\n`);
    }
  } finally {
    await vault.close();
  }
  return 0;
}

/** Opens the vault's store directly (operator access on the server's machine) for one operation. */
async function withLocalVault<T>(inputs: ServerInputs, io: Io, run: (vault: import("@provenant/server").Vault) => Promise<T>): Promise<T> {
  const server = await import("@provenant/server");
  const config = await server.resolveServerConfig(inputs, io.env, io.cwd);
  const keys = await server.ensureServerKeys(config.dataDir);
  const vault = await server.openConfiguredVault({ config, keys });
  try {
    return await run(vault);
  } finally {
    await vault.close();
  }
}

/** `provenant server token list`: ids, projects, scopes, names; never a secret or its hash. */
export async function runTokenList(inputs: ServerInputs & { json: boolean }, io: Io): Promise<number> {
  const tokens = await withLocalVault(inputs, io, (vault) => vault.listTokens("cli"));
  if (inputs.json) io.stdout(`${terminalJson(tokens)}\n`);
  else for (const t of tokens) io.stdout(`${printable([t.id, t.project, t.scope, t.createdAt, t.name ?? "-"].join("\t"))}\n`);
  return 0;
}

/** `provenant server token revoke ID`: the token stops working at once; the audit table records it. */
export async function runTokenRevoke(inputs: ServerInputs & { id: string }, io: Io): Promise<number> {
  await withLocalVault(inputs, io, (vault) => vault.revokeToken(inputs.id, "cli"));
  io.stderr(`revoked ${printable(inputs.id)}\n`);
  return 0;
}

/** The audience `attest --upload` asks the CI platform's token for, unless --upload-audience says otherwise. */
export const DEFAULT_VAULT_AUDIENCE = "provenant-vault";

/**
 * The bearer token for an upload: $PROVENANT_TOKEN (an API token, or an OIDC
 * token the CI put there, as GitLab's `id_tokens` does), else on GitHub
 * Actions the job's OIDC token requested for the vault's audience.
 */
async function uploadToken(io: Io, audience: string): Promise<string | undefined> {
  const explicit = io.env[TOKEN_ENV];
  if (explicit) return explicit;
  const requestUrl = io.env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const requestToken = io.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (!requestUrl || !requestToken) return undefined;
  const url = new URL(requestUrl);
  url.searchParams.set("audience", audience);
  let response: Response;
  try {
    response = await fetch(url, { headers: { authorization: `Bearer ${requestToken}`, accept: "application/json" }, redirect: "error" });
  } catch (cause) {
    throw new ProvenantError("TOKEN_INVALID", `cannot request the job's OIDC token from ACTIONS_ID_TOKEN_REQUEST_URL: ${(cause as Error).message}`, { cause });
  }
  const body = (await response.json().catch(() => ({}))) as { value?: unknown };
  if (!response.ok || typeof body.value !== "string") {
    throw new ProvenantError("TOKEN_INVALID", `the job's OIDC token request answered HTTP ${response.status} without a token; grant the job \`permissions: id-token: write\``);
  }
  return body.value;
}

/** `attest --upload URL`: sends the bundle just written and replaces it with the vault's copy carrying the log proof. */
export async function uploadAttestedBundle(inputs: { upload: string; bundle: string; json: boolean; audience?: string }, io: Io): Promise<number> {
  const options = { server: inputs.upload, token: await uploadToken(io, inputs.audience ?? DEFAULT_VAULT_AUDIENCE) };
  if (!options.token) {
    throw new ProvenantError(
      "UNAUTHENTICATED",
      `--upload needs a token with scope upload in ${TOKEN_ENV} (provenant server token create --scope upload), or the job's OIDC token on CI`,
    );
  }
  const path = resolve(io.cwd, inputs.bundle);
  const results = await uploadDocument(options, await readFile(path, "utf8"), "application/json");
  const first = results[0];
  if (!first) throw new ProvenantError("IO_ERROR", "the vault accepted the upload but returned no entry");
  await replaceFileAtomically(path, `${JSON.stringify(first.bundle, null, 2)}\n`);
  io.stderr(`${first.created ? "uploaded" : "already in the vault"}: log index ${first.logIndex}; ${path} now carries the log proof\n`);
  return 0;
}

/** A `--digest sha256:…` or an ARTIFACT path, as the digest to look up. */
async function digestsOf(targets: readonly string[], io: Io, progress: boolean): Promise<string[]> {
  const digests: string[] = [];
  const files: string[] = [];
  for (const target of targets) {
    const digest = parseDigestReference(target);
    if (digest) digests.push(`${digest.algorithm}:${digest.hex}`);
    else if (target.startsWith("sha256:")) throw new ProvenantError("INVALID_DIGEST", `${target}: expected sha256:<64 lowercase hex characters>`);
    else files.push(target);
  }
  if (files.length > 0) {
    const subjects = await resolveSubjects({ patterns: files, checksumFiles: [], digests: [], progress: subjectProgress(io, progress), refuseSkipped: true }, io);
    digests.push(...subjects.map((s) => `sha256:${s.digest.sha256}`));
  }
  return digests;
}

/** `provenant attestations list --server URL --digest D|ARTIFACT`. */
export async function runAttestationsList(inputs: { server: string; targets: readonly string[]; json: boolean }, io: Io): Promise<number> {
  if (inputs.targets.length === 0) throw new ProvenantError("USAGE", "give --digest sha256:HEX or an ARTIFACT to look up");
  const options = clientOptions(inputs.server, io);
  const found: (VaultAttestation & { digest: string })[] = [];
  for (const digest of await digestsOf(inputs.targets, io, !inputs.json)) {
    for (const attestation of await attestationsByDigest(options, digest)) found.push({ ...attestation, digest });
  }
  if (inputs.json) {
    io.stdout(`${JSON.stringify(found, null, 2)}\n`);
    return 0;
  }
  if (found.length === 0) {
    io.stderr("the vault holds no attestation for these digests\n");
    return 0;
  }
  for (const a of found) {
    const source = a.source ? ` ${a.source.repository}${a.source.ref ? `@${a.source.ref}` : ""}` : "";
    // Every field came from the server: escaped, so none can forge lines or terminal escapes.
    const fields = [String(a.logIndex), a.digest, String(a.predicateType), `L${a.slsaLevel}`, `${a.project}${source}`, String(a.integratedTime)];
    io.stdout(`${fields.map(printable).join("\t")}\n`);
  }
  return 0;
}

export interface VerifyFromServerInputs {
  server: string;
  artifacts: readonly string[];
  digests: readonly string[];
  keys: readonly string[];
  /** `--service-key` files: the signing service's public keys. */
  serviceKeys?: readonly string[];
  threshold: number;
  policy: Policy;
  json: boolean;
  logKey?: string;
  trustedRoot?: string;
  logOrigin?: string;
}

/**
 * `verify ARTIFACT --server URL`: fetches what the vault holds for the
 * artifact's digest and verifies it here, offline from the server's point
 * of view: signature and policy as `verify --bundle`, plus the bundle's log
 * entry (inclusion proof, checkpoint signature) against the pinned log key.
 */
export async function runVerifyFromServer(inputs: VerifyFromServerInputs, io: Io): Promise<number> {
  const targets = [...inputs.digests, ...inputs.artifacts];
  if (targets.length === 0) throw new ProvenantError("USAGE", "nothing to verify against; give ARTIFACT... or --digest sha256:HEX");
  const trust = await loadLogTrust(inputs, io);
  const policy = parsePolicy(inputs.policy);
  // The server's trusted root marks its signing service key: given that file, no --service-key is needed.
  const fromRoot = trust.serviceKeys.map((publicKey) => ({ publicKey, keyId: keyIdOf(publicKey), service: true }));
  const given = inputs.keys.length > 0 || (inputs.serviceKeys?.length ?? 0) > 0 || fromRoot.length === 0;
  const trustedKeys = [...(given ? await loadTrustedKeys(inputs.keys, inputs.serviceKeys, io.cwd) : []), ...fromRoot];
  const digests = await digestsOf(targets, io, !inputs.json);
  const artifactDigests = digests.map((d) => ({ sha256: d.slice("sha256:".length) }));
  const log = await import("@provenant/log");
  const options = clientOptions(inputs.server, io);

  const reports: VerificationReport[] = [];
  const seen = new Set<number>();
  for (const digest of digests) {
    for (const attestation of await attestationsByDigest(options, digest)) {
      if (seen.has(attestation.logIndex)) continue;
      seen.add(attestation.logIndex);
      const report = verify(attestation.bundle, { trustedKeys, threshold: inputs.threshold, artifactDigests, policy });
      try {
        const note = checkpointNoteOf(attestation.bundle);
        const entry = log.verifyTlogEntries(attestation.bundle, { origin: originFor(trust, note), publicKey: trust.publicKey });
        report.checks.push({ id: "transparencyLog", status: "pass", reason: `logged at index ${entry.logIndex}, checkpoint size ${entry.treeSize}` });
        // Core's verify notes tlog entries as unchecked; here they were checked.
        report.notes = report.notes?.filter((note) => !note.includes("transparency log entr"));
      } catch (error) {
        const code = error instanceof ProvenantError ? error.code : "INCLUSION_PROOF_INVALID";
        report.checks.push({ id: "transparencyLog", status: "fail", reason: (error as Error).message, code });
        report.verified = false;
      }
      reports.push(report);
    }
  }
  if (reports.length === 0) {
    io.stderr(`provenant: the vault holds no attestation for ${digests.join(", ")}\n`);
    return 1;
  }
  const chosen = reports.find((r) => r.verified);
  const shown = chosen ? [chosen] : reports;
  if (inputs.json) {
    const strip = ({ statement: _s, ...rest }: VerificationReport) => rest;
    io.stdout(`${JSON.stringify(shown.length === 1 ? strip(shown[0]!) : shown.map(strip), null, 2)}\n`);
  } else {
    shown.forEach((report, i) => {
      if (shown.length > 1) io.stdout(`attestation ${i + 1} of ${shown.length}:\n`);
      io.stdout(renderReport(report, io));
    });
  }
  return chosen ? 0 : 1;
}

/** The checkpoint note inside a bundle's first tlog entry (protobuf-specs JSON field names). */
function checkpointNoteOf(bundle: unknown): string {
  const entries = (bundle as { verificationMaterial?: { tlogEntries?: { inclusionProof?: { checkpoint?: { envelope?: unknown } } }[] } })
    ?.verificationMaterial?.tlogEntries;
  const note = entries?.[0]?.inclusionProof?.checkpoint?.envelope;
  if (typeof note !== "string") {
    throw new ProvenantError("MALFORMED_BUNDLE", "the bundle has no verificationMaterial.tlogEntries[0].inclusionProof.checkpoint; expected a bundle returned by the vault");
  }
  return note;
}

/** `provenant server key add`: registers a public key for a project, with operator access to the store (audited as `cli`). */
export async function runKeyAdd(inputs: ServerInputs & { project: string; key: string; name?: string; service?: boolean }, io: Io): Promise<number> {
  const pem = await readFile(resolve(io.cwd, inputs.key), "utf8").catch((error: Error) => {
    throw new ProvenantError("IO_ERROR", `cannot read the public key ${inputs.key}: ${error.message}`, { cause: error });
  });
  const server = await import("@provenant/server");
  const config = await server.resolveServerConfig(inputs, io.env, io.cwd);
  const keys = await server.ensureServerKeys(config.dataDir);
  const vault = await server.openConfiguredVault({ config, keys });
  try {
    const { keyId } = await vault.registerKey(
      { project: inputs.project, publicKeyPem: pem, name: inputs.name, service: inputs.service },
      { kind: "token", subject: "cli", projects: ["*"], scope: "admin", from: "local" },
    );
    io.stderr(`registered key for project ${printable(inputs.project)}:\n`);
    io.stdout(`${keyId}\n`);
  } finally {
    await vault.close();
  }
  return 0;
}
