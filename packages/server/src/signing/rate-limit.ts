/** Fixed-window counters per key (issuer + repository), on an injected clock. */
export interface RateLimiter {
  /** true when the request may proceed (and counts it). */
  take(key: string): boolean;
}

export function windowRateLimiter(options: { limit: number; windowSeconds: number; clock: () => Date }): RateLimiter {
  const windows = new Map<string, { start: number; count: number }>();
  return {
    take(key) {
      const now = options.clock().getTime();
      const windowMs = options.windowSeconds * 1000;
      let window = windows.get(key);
      if (!window || now - window.start >= windowMs) {
        if (windows.size > 100_000) windows.clear();
        window = { start: now, count: 0 };
        windows.set(key, window);
      }
      if (window.count >= options.limit) return false;
      window.count++;
      return true;
    },
  };
}
