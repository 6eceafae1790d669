// Azure DevOps Services answered by local servers. The adapter sends the job
// access token only to https://dev.azure.com/<org>/ (or <org>.visualstudio.com),
// so tests keep those URLs and reroute below them, in the process under test:
// the seam is that process's own transport (the fetch it is handed, and the
// https module azure-devops-node-api requests through), which no pipeline
// variable or task input reaches. CommonJS, so the mock runner's task script
// can require it too under the Node 20 handler.
"use strict";

const SERVICES_HOST = /^(?:dev\.azure\.com|[a-z0-9-]+\.visualstudio\.com)$/i;

/**
 * Routes requests addressed to Azure DevOps Services: the fetch it returns
 * sends an Oidctoken - Create request to `tokenUrl` (keeping its query) and
 * refuses any other Services URL; while installed, https requests to a
 * Services host go to `apiOrigin` over plain http. `restore` undoes that.
 */
function routeServices({ tokenUrl, apiOrigin, fetch: next = globalThis.fetch }) {
  const https = require("node:https");
  const http = require("node:http");
  const api = new URL(apiOrigin);
  const original = https.request;
  https.request = function request(options, ...rest) {
    const host = options && typeof options === "object" && !(options instanceof URL) ? (options.hostname ?? options.host ?? "") : "";
    if (!SERVICES_HOST.test(host)) return original.call(this, options, ...rest);
    const { agent: _tlsAgent, ...plain } = options;
    return http.request({ ...plain, protocol: "http:", host: api.hostname, hostname: api.hostname, port: Number(api.port) }, ...rest);
  };
  const fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (!SERVICES_HOST.test(url.hostname)) return next(input, init);
    if (!url.pathname.endsWith("/oidctoken")) return new Response(`no test route for ${url.href}`, { status: 404 });
    const target = new URL(tokenUrl);
    target.search = url.search;
    return next(target, init);
  };
  return {
    fetch,
    restore() {
      https.request = original;
    },
  };
}

module.exports = { routeServices };
