/** @module auth/rate-limiter — token buckets by key, for logins, upgrades and per-connection messages. */

export interface RateLimiter {
  /**
   * Takes `count` tokens (default 1, at most the capacity) for `key`; when fewer are left, takes none and
   * returns the seconds until there are enough.
   */
  take(key: string, count?: number): { ok: true } | { ok: false; retryAfterSeconds: number };
  reset(key: string): void;
}

/**
 * `capacity` tokens per key, refilled continuously over `windowMs`. Idle full buckets are forgotten, so
 * memory follows the number of active keys.
 */
export function createRateLimiter(options: {
  capacity: number;
  windowMs: number;
  now?: () => number;
}): RateLimiter {
  const { capacity, windowMs } = options;
  const now = options.now ?? Date.now;
  const perMs = capacity / windowMs;
  const buckets = new Map<string, { tokens: number; at: number }>();
  let lastSweep = now();

  function sweep(t: number): void {
    if (t - lastSweep < windowMs) return;
    lastSweep = t;
    for (const [key, b] of buckets) if (b.tokens + (t - b.at) * perMs >= capacity) buckets.delete(key);
  }

  return {
    take(key, count = 1) {
      const need = Math.min(capacity, count);
      const t = now();
      sweep(t);
      const bucket = buckets.get(key) ?? { tokens: capacity, at: t };
      bucket.tokens = Math.min(capacity, bucket.tokens + (t - bucket.at) * perMs);
      bucket.at = t;
      buckets.set(key, bucket);
      if (bucket.tokens >= need) {
        bucket.tokens -= need;
        return { ok: true };
      }
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((need - bucket.tokens) / perMs / 1000)) };
    },
    reset(key) {
      buckets.delete(key);
    },
  };
}
