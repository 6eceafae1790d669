/**
 * A readable API reference rendered on the server from the OpenAPI
 * document: plain HTML and inline CSS, no scripts and nothing fetched from a
 * CDN, so it works on an air-gapped network.
 */

function escapeHtml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}

interface Operation {
  summary?: string;
  description?: string;
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: unknown }[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
  security?: unknown[];
}

export function renderReferencePage(document: { info?: { title?: string; version?: string; description?: string }; paths?: Record<string, Record<string, Operation>> }): string {
  const sections: string[] = [];
  for (const [path, methods] of Object.entries(document.paths ?? {})) {
    for (const [method, operation] of Object.entries(methods)) {
      const parameters = (operation.parameters ?? [])
        .map((p) => `<li><code>${escapeHtml(p.name)}</code> (${escapeHtml(p.in)}${p.required ? ", required" : ""}) ${escapeHtml(p.description ?? "")}</li>`)
        .join("");
      const body = Object.entries(operation.requestBody?.content ?? {})
        .map(([type, media]) => `<p>Request body <code>${escapeHtml(type)}</code></p><pre>${escapeHtml(JSON.stringify(media.schema ?? {}, null, 2))}</pre>`)
        .join("");
      const responses = Object.entries(operation.responses ?? {})
        .map(([status, response]) => `<li><code>${escapeHtml(status)}</code> ${escapeHtml(response.description ?? "")} ${Object.keys(response.content ?? {}).map((t) => `<code>${escapeHtml(t)}</code>`).join(" ")}</li>`)
        .join("");
      sections.push(
        `<section><h2><span class="m">${escapeHtml(method.toUpperCase())}</span> <code>${escapeHtml(path)}</code></h2>` +
          `<p>${escapeHtml(operation.summary ?? "")}</p>${operation.description ? `<p>${escapeHtml(operation.description)}</p>` : ""}` +
          (parameters ? `<h3>Parameters</h3><ul>${parameters}</ul>` : "") +
          body +
          (responses ? `<h3>Responses</h3><ul>${responses}</ul>` : "") +
          "</section>",
      );
    }
  }
  const title = escapeHtml(document.info?.title ?? "API");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.4}
section{border-top:1px solid #ccc;padding:.5rem 0}.m{background:#234;color:#fff;padding:0 .4rem;border-radius:3px}
pre{background:#f4f4f4;padding:.5rem;overflow:auto;font-size:.85rem}</style></head><body>
<h1>${title} <small>${escapeHtml(document.info?.version ?? "")}</small></h1><p>${escapeHtml(document.info?.description ?? "")}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a>. Errors are <code>application/problem+json</code> with a <code>code</code> member.</p>
${sections.join("\n")}</body></html>`;
}
