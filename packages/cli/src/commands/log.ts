import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { ProvenantError } from "@provenant/core/base";
import { type Io, replaceFileAtomically } from "../io.js";
import { loadLogTrust, originFor } from "./log-trust.js";
import { vaultRequest } from "@provenant/server-client";
import { TOKEN_ENV } from "./server.js";

export interface LogVerifyInputs {
  server: string;
  state?: string;
  logKey?: string;
  trustedRoot?: string;
  logOrigin?: string;
  json: boolean;
}

/** What `--state FILE` keeps between runs: the last checkpoint this auditor accepted. */
interface AuditState {
  origin: string;
  size: number;
  rootHash: string; // lowercase hex
  checkpoint: string;
  /** Earlier verified (size, root) pairs, newest last, so a rewrite can be narrowed to where it starts. */
  seen?: { size: number; rootHash: string }[];
}

/** How many earlier checkpoints the state file keeps. */
const SEEN_LIMIT = 64;
const HEX_ROOT = /^[0-9a-f]{64}$/;

async function readState(path: string): Promise<AuditState | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new ProvenantError("IO_ERROR", `cannot read the state file ${path}: ${(error as Error).message}`, { cause: error });
  }
  let state: Partial<AuditState>;
  try {
    state = JSON.parse(text) as Partial<AuditState>;
  } catch (cause) {
    throw new ProvenantError("MALFORMED_JSON", `the state file ${path} is not JSON; expected one written by provenant log verify`, { cause });
  }
  const seenValid = state.seen === undefined || (Array.isArray(state.seen) && state.seen.every((s) => Number.isSafeInteger(s?.size) && HEX_ROOT.test(String(s?.rootHash))));
  if (!Number.isSafeInteger(state.size) || typeof state.rootHash !== "string" || !HEX_ROOT.test(state.rootHash) || !seenValid) {
    throw new ProvenantError("MALFORMED_JSON", `the state file ${path} has no valid size/rootHash; expected one written by provenant log verify`);
  }
  return state as AuditState;
}

/**
 * `provenant log verify --server URL [--state FILE]`: the auditor's check.
 * Fetches the checkpoint and every tile, recomputes the root, verifies the
 * checkpoint signature with the pinned log key, and proves the log still
 * extends the last checkpoint kept in the state file. The state only moves
 * forward when all of that holds.
 */
export async function runLogVerify(inputs: LogVerifyInputs, io: Io): Promise<number> {
  const trust = await loadLogTrust(inputs, io);
  const statePath = inputs.state ? resolve(io.cwd, inputs.state) : undefined;
  const previous = statePath ? await readState(statePath) : undefined;
  const client = { server: inputs.server, token: io.env[TOKEN_ENV] || undefined };
  const fetchBytes = async (path: string): Promise<Uint8Array | undefined> => {
    const response = await vaultRequest(client, path, { accept: "*/*" });
    if (response.status === 404) return undefined;
    return new Uint8Array(await response.arrayBuffer());
  };
  const note = new TextDecoder().decode((await fetchBytes("checkpoint")) ?? new Uint8Array());
  if (note === "") throw new ProvenantError("NOT_FOUND", `the vault at ${inputs.server} serves no /checkpoint`);
  const origin = previous?.origin ?? originFor(trust, note);
  const log = await import("@provenant/log");
  const result = await log.auditLog({
    fetchBytes,
    trusted: { origin, publicKey: trust.publicKey },
    previous: previous ? { size: previous.size, rootHash: Buffer.from(previous.rootHash, "hex") } : undefined,
    seen: (previous?.seen ?? []).map((s) => ({ size: s.size, rootHash: Buffer.from(s.rootHash, "hex") })),
  });
  const rootHash = Buffer.from(result.rootHash).toString("hex");
  const summary = {
    consistent: result.consistent,
    size: result.size,
    rootHash,
    previousSize: previous?.size,
    firstDifferingSize: result.firstDifferingSize,
  };
  if (!result.consistent) {
    if (inputs.json) io.stdout(`${JSON.stringify(summary, null, 2)}\n`);
    else {
      io.stdout(
        `LOG REWRITTEN: the checkpoint of size ${result.size} does not extend the one of size ${previous?.size} kept in ${inputs.state}` +
          `${result.firstDifferingSize !== undefined ? `; the log first differs at size ${result.firstDifferingSize}` : ""}\n`,
      );
    }
    return 1;
  }
  if (statePath) {
    const seen = [...(previous?.seen ?? []), ...(previous ? [{ size: previous.size, rootHash: previous.rootHash }] : [])]
      .filter((s) => s.size < result.size)
      .slice(-SEEN_LIMIT);
    const state: AuditState = { origin, size: result.size, rootHash, checkpoint: result.checkpoint, seen };
    await replaceFileAtomically(statePath, `${JSON.stringify(state, null, 2)}\n`);
  }
  if (inputs.json) io.stdout(`${JSON.stringify(summary, null, 2)}\n`);
  else {
    io.stdout(
      `log verified: size ${result.size}, root ${rootHash}, checkpoint signed by the trusted log key` +
        `${previous ? `; consistent with the size ${previous.size} seen before` : ""}\n`,
    );
  }
  return 0;
}
