import { en } from "zod/locales";
import * as z from "zod/mini";
import type { $ZodType, output } from "zod/v4/core";
import { type ErrorCode, ProvenantError } from "../error.js";

// zod/mini (a fraction of classic zod's size, which matters for the CLI's
// start) ships without messages; these are the readable English ones.
z.config(en());

/**
 * Parses untrusted data with a zod schema and turns a failure into one coded
 * error naming the first bad field by a short path, never the raw zod dump.
 */
export function parseWith<S extends $ZodType>(schema: S, value: unknown, code: ErrorCode, what: string): output<S> {
  const result = z.safeParse(schema, value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const where = issue.path.length > 0 ? formatPath(issue.path) : "(top level)";
  throw new ProvenantError(code, `${what}: ${where}: ${issue.message}`, { cause: result.error });
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, index) =>
      typeof part === "number" ? `[${part}]` : `${index === 0 ? "" : "."}${String(part)}`,
    )
    .join("");
}
