import { describe, expect, it } from "vitest";
import { createRateLimiter } from "./rate-limit.js";

describe("createRateLimiter", () => {
  it("allows a caller its budget per window, refuses the next request with a wait, and refills with time", () => {
    let now = 1_000_000;
    const limiter = createRateLimiter({ requests: 3, windowMs: 60_000, now: () => now });
    expect([1, 2, 3].map(() => limiter.take("alice").allowed)).toEqual([true, true, true]);
    const refused = limiter.take("alice");
    expect(refused).toEqual({ allowed: false, retryAfterSeconds: 20 });
    // Another caller has its own bucket.
    expect(limiter.take("bob").allowed).toBe(true);
    now += 20_000;
    expect(limiter.take("alice").allowed).toBe(true);
    expect(limiter.take("alice").allowed).toBe(false);
  });

  it("never lets a bucket hold more than one window's budget, however long the caller was idle", () => {
    let now = 0;
    const limiter = createRateLimiter({ requests: 2, windowMs: 1000, now: () => now });
    now = 10_000_000;
    expect([1, 2, 3].map(() => limiter.take("idle").allowed)).toEqual([true, true, false]);
  });
});
