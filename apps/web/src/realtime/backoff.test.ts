// Tests of the reconnect delay: exponential ceiling, cap, full jitter and the server's minimum.
import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';

const opts = { baseMs: 1000, capMs: 30_000 };

describe('backoffDelay', () => {
  it('doubles the ceiling with each attempt', () => {
    const almostOne = () => 0.999999;
    expect(backoffDelay(0, opts, almostOne)).toBe(999);
    expect(backoffDelay(1, opts, almostOne)).toBe(1999);
    expect(backoffDelay(3, opts, almostOne)).toBe(7999);
  });

  it('never exceeds the cap however many attempts failed', () => {
    for (const attempt of [5, 6, 20, 1000]) {
      expect(backoffDelay(attempt, opts, () => 0.999999)).toBeLessThan(30_000);
    }
  });

  it('spreads delays over the whole range from zero (full jitter)', () => {
    expect(backoffDelay(4, opts, () => 0)).toBe(0);
    expect(backoffDelay(4, opts, () => 0.5)).toBe(8000);
    const samples = Array.from({ length: 200 }, () => backoffDelay(4, opts));
    expect(Math.min(...samples)).toBeLessThan(4000);
    expect(Math.max(...samples)).toBeGreaterThan(12_000);
    expect(samples.every((d) => d >= 0 && d < 16_000)).toBe(true);
  });

  it('honours a server retry-after hint as the minimum delay, even above the cap', () => {
    expect(backoffDelay(0, opts, () => 0.1, 5000)).toBe(5000);
    expect(backoffDelay(10, opts, () => 0, 60_000)).toBe(60_000);
    expect(backoffDelay(3, opts, () => 0.9, 1000)).toBe(7200);
  });
});
