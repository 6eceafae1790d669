import { ProvenantError } from "@provenant/core";

/** What a Rego rule decided: the `deny` messages it produced, or whether an `allow` rule held. */
export interface RegoDecision {
  pass: boolean;
  messages: string[];
}

/**
 * One Rego rule, ready to evaluate. Three modes share this interface and the
 * same input document: an in-process wasm bundle, a `.rego` module compiled
 * by the opa binary, or an OPA server's Data API.
 */
export interface RegoEvaluator {
  readonly description: string;
  evaluate(input: unknown): Promise<RegoDecision>;
}

/**
 * Reads an entrypoint's value the way gatekeeper/conftest users expect: a set
 * (array) of messages is a `deny` rule (empty = pass); a boolean is an
 * `allow` rule; an undefined `deny`-style rule is an empty set, anything else
 * undefined fails closed.
 */
export function decisionOf(entrypoint: string, value: unknown): RegoDecision {
  if (Array.isArray(value)) {
    return { pass: value.length === 0, messages: value.map((m) => (typeof m === "string" ? m : JSON.stringify(m))) };
  }
  if (typeof value === "boolean") {
    return { pass: value, messages: value ? [] : [`${entrypoint} is false`] };
  }
  if (value === undefined) {
    const last = entrypoint.split("/").at(-1) ?? "";
    if (/^(deny|violation|violations|warn)$/.test(last)) return { pass: true, messages: [] };
    return { pass: false, messages: [`${entrypoint} is undefined for this input`] };
  }
  throw new ProvenantError(
    "INVALID_POLICY",
    `rego ${entrypoint} returned ${typeof value}; expected a set of deny messages or a boolean`,
  );
}
