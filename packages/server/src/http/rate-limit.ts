/**
 * A token bucket per caller: `requests` per `windowMs`, refilled
 * continuously. The clock is a parameter so tests set time instead of
 * waiting for it.
 */
export interface RateLimiter {
  /** Takes one request from `key`'s bucket; returns the seconds to wait when empty. */
  take(key: string): { allowed: true } | { allowed: false; retryAfterSeconds: number };
}

export function createRateLimiter(options: { requests: number; windowMs: number; now: () => number; maxKeys?: number }): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const ratePerMs = options.requests / options.windowMs;
  const maxKeys = options.maxKeys ?? 100_000;
  return {
    take(key) {
      const now = options.now();
      const bucket = buckets.get(key) ?? { tokens: options.requests, at: now };
      bucket.tokens = Math.min(options.requests, bucket.tokens + Math.max(0, now - bucket.at) * ratePerMs);
      bucket.at = now;
      // Map order is insertion order: re-inserting keeps active callers last,
      // so the oldest idle bucket is dropped first when the map is full.
      buckets.delete(key);
      if (buckets.size >= maxKeys) buckets.delete(buckets.keys().next().value as string);
      buckets.set(key, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { allowed: true };
      }
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / ratePerMs / 1000)) };
    },
  };
}
