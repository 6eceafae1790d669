/**
 * Canonical JSON as Rekor and @sigstore/core produce it for entry bodies and
 * signed entry timestamps: object keys sorted by UTF-16 code units, no
 * whitespace, strings and numbers as JSON.stringify writes them (RFC 8785 for
 * the integers and ASCII strings these documents hold). Written here because
 * @provenant/log depends on nothing but core and node:crypto.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError("canonical JSON: numbers must be finite");
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  throw new TypeError(`canonical JSON: cannot encode a ${typeof value}`);
}
