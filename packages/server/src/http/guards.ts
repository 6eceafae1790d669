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

/** Reads are open when the operator turned on public read; otherwise any valid token. */
export function requireReader(c: Context<ServerEnv>, publicRead: boolean): void {
  if (!publicRead) requireCaller(c, "read");
}
