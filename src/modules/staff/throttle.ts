/**
 * Counts attempts per key (an email, an IP address) in fixed windows, in this process's memory:
 * enough to slow a guesser down at the door. The lockout after repeated failures (in the database)
 * is what holds across processes; this limit is per process, so N processes allow N times as many.
 */
export interface AttemptLimit {
  max: number;
  windowMs: number;
}

const MAX_KEYS = 100_000;

export function createThrottle(limit: AttemptLimit) {
  const windows = new Map<string, { count: number; resetAt: number }>();
  return {
    /** Counts one attempt; false when the key has used up its window (the attempt is refused). */
    allow(key: string, now = Date.now()): boolean {
      const current = windows.get(key);
      if (!current || current.resetAt <= now) {
        // Expired windows are dropped wholesale when the map grows: no timer, bounded memory.
        if (windows.size >= MAX_KEYS) for (const [k, w] of windows) if (w.resetAt <= now) windows.delete(k);
        if (windows.size >= MAX_KEYS) windows.clear();
        windows.set(key, { count: 1, resetAt: now + limit.windowMs });
        return true;
      }
      current.count += 1;
      return current.count <= limit.max;
    },
  };
}

export type Throttle = ReturnType<typeof createThrottle>;
