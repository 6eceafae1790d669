import { ProvenantError } from "@provenant/core";
import type { Context } from "hono";
import type { CallerIdentity } from "../vault/types.js";
import { hasScope } from "./auth.js";
import type { ServerEnv } from "./context.js";

/** The authenticated caller with at least `scope`, or a coded refusal. */
export function requireCaller(c: Context<ServerEnv>, scope: CallerIdentity["scope"]): CallerIdentity {
  const caller = c.get("caller");
  if (!caller) {
    throw new ProvenantError("UNAUTHENTICATED", `this request needs a bearer token with scope ${scope} (Authorization: Bearer <token>)`);
  }
  if (!hasScope(caller, scope)) {
    throw new ProvenantError("FORBIDDEN", `the token has scope ${caller.scope}; this request needs ${scope}`);
  }
  return caller;
}

/**
 * Who may read what. Returns the projects whose attestations the caller sees,
 * or undefined for all of them: with public read on (anyone sees everything, a
 * token cannot see less), or for a `*` token. Without public read a token is
 * needed and sees only its own projects, so one team's read token does not
 * reveal another team's repositories, names and builds.
 */
export function readableProjects(c: Context<ServerEnv>, publicRead: boolean): readonly string[] | undefined {
  if (publicRead) return undefined;
  const caller = requireCaller(c, "read");
  return caller.projects.includes("*") ? undefined : caller.projects;
}

/** Reads of the log itself (checkpoints, proofs, tiles: hashes, no build facts) need any valid token unless public read is on. */
export function requireReader(c: Context<ServerEnv>, publicRead: boolean): void {
  if (!publicRead) requireCaller(c, "read");
}
