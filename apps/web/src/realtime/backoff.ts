/** @module backoff — reconnect delays: capped exponential backoff with full jitter and server hints. */

/** Bounds of the reconnect delay. */
export interface BackoffOptions {
  /** Delay ceiling of the first retry (attempt 0), in ms. */
  baseMs: number;
  /** The delay never exceeds this, in ms (except when the server asks for longer). */
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1000, capMs: 30_000 };

/**
 * The delay before reconnect attempt `attempt` (0-based): a uniformly random value in
 * `[0, min(cap, base * 2^attempt))` ("full jitter", so a fleet of browsers does not reconnect in lock-step),
 * raised to `minimumMs` when the server sent a `retry-after` hint.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = DEFAULT_BACKOFF,
  random: () => number = Math.random,
  minimumMs = 0,
): number {
  const exponent = Math.min(Math.max(0, attempt), 30);
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** exponent);
  const jittered = Math.floor(random() * ceiling);
  return Math.max(jittered, minimumMs);
}
