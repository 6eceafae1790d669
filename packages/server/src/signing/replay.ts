/**
 * Remembers token ids (`jti`) until the token expires, so one token signs
 * one provenance request. The vault's store can implement this for several
 * replicas; the in-memory one serves a single server (and tests).
 */
export interface ReplayStore {
  /** Records `key` until `expiresAt` (Unix seconds); false when it was already recorded and not expired. */
  remember(key: string, expiresAt: number): Promise<boolean>;
}

export function memoryReplayStore(clock: () => Date, maxEntries = 1_000_000): ReplayStore {
  const seen = new Map<string, number>();
  const sweep = (now: number) => {
    for (const [key, expiresAt] of seen) if (expiresAt < now) seen.delete(key);
  };
  return {
    async remember(key, expiresAt) {
      const now = clock().getTime() / 1000;
      const known = seen.get(key);
      if (known !== undefined && known >= now) return false;
      if (seen.size >= maxEntries) sweep(now);
      // Still full of live tokens: refusing is safer than forgetting one.
      if (seen.size >= maxEntries) return false;
      seen.set(key, expiresAt);
      return true;
    },
  };
}
