import { readFile } from "node:fs/promises";
import { ProvenantError } from "@provenant/core";
import * as z from "zod/mini";

const InputValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

// Only the parts this adapter reads; the payloads are GitHub's webhook event
// bodies ("Webhook events and payloads", docs.github.com).
export const EventPayloadSchema = z.looseObject({
  inputs: z.nullish(z.record(z.string(), InputValue)),
  repository: z.optional(
    z.looseObject({
      id: z.optional(z.union([z.number(), z.string()])),
      owner: z.optional(z.looseObject({ id: z.optional(z.union([z.number(), z.string()])) })),
    }),
  ),
});

export type EventPayload = z.infer<typeof EventPayloadSchema>;

/** The event that triggered the run, from the file at `GITHUB_EVENT_PATH`; undefined when unset. */
export async function readEventPayload(path: string | undefined): Promise<EventPayload | undefined> {
  if (!path) return undefined;
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    throw new ProvenantError("IO_ERROR", `cannot read the event payload at GITHUB_EVENT_PATH=${path}: ${(cause as Error).message}`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ProvenantError("MALFORMED_JSON", `the event payload at GITHUB_EVENT_PATH=${path} is not JSON`, { cause });
  }
  const parsed = z.safeParse(EventPayloadSchema, json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ProvenantError(
      "PLATFORM_FACTS_MISSING",
      `the event payload at GITHUB_EVENT_PATH=${path} has an unexpected ${issue.path.join(".")}: ${issue.message}`,
    );
  }
  return parsed.data;
}
