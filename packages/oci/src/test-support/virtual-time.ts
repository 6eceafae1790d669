import type { PushTiming } from "../referrers/push.js";

/**
 * A clock that moves only when someone sleeps or the test advances it, so a
 * push's settle windows cost no real time and a "slow" registry answer is
 * whatever the test says it is, however busy the machine.
 */
export function virtualTiming(random = () => 0.5): PushTiming & { advance: (ms: number) => void; readonly slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return {
    clock: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
      // Still yield, as a real timer would, so concurrent requests interleave.
      await new Promise<void>((done) => setImmediate(done));
    },
    random,
    advance: (ms) => {
      now += ms;
    },
    slept,
  };
}

/**
 * Simulated time for several writers at once: requests take no virtual time
 * and a sleeper wakes only once nothing is in flight and no one is due
 * earlier. Every ordering it produces is one real time could produce (all
 * requests fast against the settle window), and it is the same however busy
 * the machine is. Writers must send their requests through `fetch`.
 */
export function simulatedTime(random = () => 0.5): PushTiming & { fetch: typeof globalThis.fetch } {
  let now = 0;
  let inFlight = 0;
  const sleepers: { at: number; wake: () => void }[] = [];
  let checking = false;
  const wakeNextWhenIdle = () => {
    if (checking) return;
    checking = true;
    // After setImmediate the writer that just got an answer has run its
    // synchronous follow-up, so a request it sends next is already counted.
    setImmediate(() => {
      checking = false;
      if (inFlight > 0 || sleepers.length === 0) return;
      sleepers.sort((a, b) => a.at - b.at);
      const next = sleepers.shift()!;
      now = Math.max(now, next.at);
      next.wake();
    });
  };
  return {
    clock: () => now,
    random,
    sleep: (ms) =>
      new Promise<void>((wake) => {
        sleepers.push({ at: now + ms, wake });
        wakeNextWhenIdle();
      }),
    fetch: async (input, init) => {
      inFlight++;
      try {
        return await fetch(input, init);
      } finally {
        inFlight--;
        wakeNextWhenIdle();
      }
    },
  };
}
