/**
 * @module domain/alerts/limit-reports — how the engine says that a sample hit one of its bounds: every
 * occurrence counts on a Prometheus counter, and a warning is logged at most once per window for each key
 * (a host, or a rule on a host) with what happened since the previous warning, so a host that stays over a
 * bound does not log every sample, and nothing is left out silently.
 */
import type { Logger } from '../../logger.js';

/** One warning per key at most this often. */
export const LIMIT_WARNING_EVERY_MS = 10 * 60_000;
/** Keys remembered at most; past it the memory starts over (a key then warns once more). */
const MAX_KEYS = 10_000;

interface Quiet {
  warnedAt: number;
  /** Occurrences and their total amount since the last warning. */
  occurrences: number;
  amount: number;
}

export interface LimitReports {
  /**
   * Counts `amount` on `counter` and warns with `fields` and `message` unless `key` warned within the
   * window; the warning carries how many samples and how much were counted quietly under `key` since the
   * previous one (`quietSamples`, `quietTotal`).
   */
  report(
    key: string,
    amount: number,
    counter: { inc(amount: number): void },
    fields: Record<string, unknown>,
    message: string,
  ): void;
}

export function createLimitReports(log: Logger, now: () => number = Date.now): LimitReports {
  const quiet = new Map<string, Quiet>();
  return {
    report(key, amount, counter, fields, message) {
      counter.inc(amount);
      const at = now();
      const last = quiet.get(key);
      if (last && at - last.warnedAt < LIMIT_WARNING_EVERY_MS) {
        last.occurrences += 1;
        last.amount += amount;
        return;
      }
      if (quiet.size >= MAX_KEYS) quiet.clear();
      quiet.set(key, { warnedAt: at, occurrences: 0, amount: 0 });
      // What the window kept quiet (a first warning has nothing to add).
      const since = last?.occurrences ? { quietSamples: last.occurrences, quietTotal: last.amount } : {};
      log.warn({ ...fields, ...since }, message);
    },
  };
}
