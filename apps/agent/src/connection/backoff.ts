/** @module connection/backoff — capped exponential reconnect delays with full jitter and server hints. */

export interface BackoffOptions {
  /** Ceiling of the first attempt (ms). */
  initialMs: number;
  /** Largest ceiling (ms). */
  maxMs: number;
  /** A minimum delay asked for by the server (Retry-After header or `retry-after=N` close reason), in ms. */
  hintMs?: number;
  /** Source of randomness in [0, 1); injectable for tests. */
  random?: () => number;
}

/** No reconnect happens sooner than this, even when the jitter draws 0. */
export const MIN_RECONNECT_DELAY_MS = 100;

/**
 * Delay before reconnect attempt number `attempt` (0-based): a uniform draw in
 * [0, min(maxMs, initialMs·2^attempt)] ("full jitter", so a fleet that lost its server at the same
 * moment does not come back in lockstep). A server hint is a floor; a little jitter (up to 10 %) is
 * added on top of it for the same reason.
 */
export function computeReconnectDelay(attempt: number, options: BackoffOptions): number {
  const random = options.random ?? Math.random;
  const ceiling = Math.min(options.maxMs, options.initialMs * 2 ** Math.min(Math.max(0, attempt), 30));
  const jittered = Math.max(MIN_RECONNECT_DELAY_MS, Math.floor(random() * ceiling));
  const hint = options.hintMs;
  if (hint === undefined || hint <= 0) return jittered;
  return Math.max(jittered, Math.floor(hint * (1 + 0.1 * random())));
}

/** Waits `ms`, or less if `signal` aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
