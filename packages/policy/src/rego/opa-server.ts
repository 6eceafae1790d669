import { ProvenantError } from "@provenant/core";
import { decisionOf, type RegoEvaluator } from "./evaluator.js";

const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/**
 * Asks an OPA server's Data API (`POST /v1/data/<entrypoint>` with
 * `{"input": …}`), the way gatekeeper-less deployments run OPA beside a gate.
 */
export function opaServerEvaluator(
  baseUrl: string,
  entrypoint: string,
  options: { fetch?: typeof fetch } = {},
): RegoEvaluator {
  const doFetch = options.fetch ?? fetch;
  const path = entrypoint.split("/").map(encodeURIComponent).join("/");
  const url = new URL(`v1/data/${path}`, baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`);
  const shown = `${url.origin}${url.pathname}`;
  return {
    description: `OPA server ${shown}`,
    async evaluate(input) {
      let response: Response;
      try {
        response = await doFetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ input }),
          signal: AbortSignal.timeout(10_000),
        });
      } catch (cause) {
        throw new ProvenantError("POLICY_UNAVAILABLE", `OPA server ${shown} did not answer; expected its Data API`, { cause });
      }
      const text = await response.text();
      if (!response.ok) {
        throw new ProvenantError("POLICY_UNAVAILABLE", `OPA server ${shown} answered HTTP ${response.status}`);
      }
      if (text.length > MAX_RESPONSE_BYTES) {
        throw new ProvenantError("POLICY_UNAVAILABLE", `OPA server ${shown} answered more than ${MAX_RESPONSE_BYTES} bytes`);
      }
      let body: { result?: unknown };
      try {
        body = JSON.parse(text) as { result?: unknown };
      } catch (cause) {
        throw new ProvenantError("POLICY_UNAVAILABLE", `OPA server ${shown} answered something that is not JSON`, { cause });
      }
      return decisionOf(entrypoint, body.result);
    },
  };
}
