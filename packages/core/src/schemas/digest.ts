import * as z from "zod/mini";
import { HEX_LENGTHS } from "./digest-values.js";

/**
 * in-toto DigestSet. DESIGN: digests are lowercase hex, so uppercase hex is
 * refused rather than silently folded (two spellings of one digest would let
 * a policy match one and miss the other).
 */
export const DigestSetSchema = z.record(z.string().check(z.minLength(1)), z.string()).check(
  z.superRefine((digests, ctx) => {
    for (const [algorithm, value] of Object.entries(digests)) {
      if (!/^[0-9a-f]+$/.test(value)) {
        ctx.addIssue({
          code: "custom",
          path: [algorithm],
          message: `expected lowercase hex, got "${value.slice(0, 80)}"`,
        });
        continue;
      }
      const lengths = HEX_LENGTHS[algorithm];
      if (lengths && !lengths.includes(value.length)) {
        ctx.addIssue({
          code: "custom",
          path: [algorithm],
          message: `expected ${lengths.join(" or ")} hex characters for ${algorithm}, got ${value.length}`,
        });
      }
    }
  }),
);
export type DigestSet = z.infer<typeof DigestSetSchema>;
