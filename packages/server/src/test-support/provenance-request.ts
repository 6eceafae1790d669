/** Shared by this package's tests only (not exported from index.ts). */

/** `POST /v1/provenance` on an app with the job's token as the bearer (none: no Authorization header) and a JSON body. */
export function provenanceRequester(app: { request(path: string, init: RequestInit): Response | Promise<Response> }) {
  return async (token: string | undefined, body: unknown): Promise<Response> =>
    app.request("/v1/provenance", {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
}
