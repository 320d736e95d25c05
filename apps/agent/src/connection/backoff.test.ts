// Tests of the reconnect delay: capped exponential growth, full jitter, server hints as a floor.
import { describe, expect, it } from 'vitest';
import { MIN_RECONNECT_DELAY_MS, computeReconnectDelay } from './backoff.js';
import { classifyClose, classifyUpgradeRefusal } from './close-policy.js';

const opts = { initialMs: 1000, maxMs: 60_000 };

describe('computeReconnectDelay', () => {
  it('draws uniformly below a ceiling that doubles per attempt up to the cap', () => {
    expect(computeReconnectDelay(0, { ...opts, random: () => 0.999 })).toBe(999);
    expect(computeReconnectDelay(3, { ...opts, random: () => 0.5 })).toBe(4000);
    expect(computeReconnectDelay(10, { ...opts, random: () => 0.999 })).toBe(59_940);
    expect(computeReconnectDelay(1000, { ...opts, random: () => 0.999 })).toBe(59_940);
  });

  it('never goes below the minimum delay', () => {
    expect(computeReconnectDelay(0, { ...opts, random: () => 0 })).toBe(MIN_RECONNECT_DELAY_MS);
  });

  it('spreads a fleet: many draws cover the whole window', () => {
    const delays = Array.from({ length: 2000 }, () => computeReconnectDelay(6, opts));
    expect(Math.min(...delays)).toBeLessThan(5000);
    expect(Math.max(...delays)).toBeGreaterThan(55_000);
  });

  it('treats a server hint as a floor with up to 10 % jitter on top', () => {
    expect(computeReconnectDelay(0, { ...opts, hintMs: 30_000, random: () => 0 })).toBe(30_000);
    expect(computeReconnectDelay(0, { ...opts, hintMs: 30_000, random: () => 0.5 })).toBe(31_500);
    expect(computeReconnectDelay(8, { ...opts, hintMs: 2000, random: () => 0.9 })).toBe(54_000);
  });
});

describe('close policy', () => {
  it('stops for 401, 403, 4000 and 4001 and retries everything else with its hint', () => {
    expect(classifyUpgradeRefusal(401, undefined)).toMatchObject({ kind: 'fatal', exit: 'UNAUTHORIZED' });
    expect(classifyUpgradeRefusal(403, undefined)).toMatchObject({ kind: 'fatal', exit: 'REVOKED' });
    expect(classifyUpgradeRefusal(503, '7')).toEqual({
      kind: 'retry',
      reason: 'upgrade refused with HTTP 503',
      hintMs: 7000,
    });
    expect(classifyClose(4000, '')).toMatchObject({ kind: 'fatal', exit: 'REPLACED' });
    expect(classifyClose(4001, '')).toMatchObject({ kind: 'fatal', exit: 'REVOKED' });
    expect(classifyClose(1001, 'retry-after=12')).toMatchObject({ kind: 'retry', hintMs: 12_000 });
    expect(classifyClose(1006, '')).toMatchObject({ kind: 'retry', hintMs: undefined });
  });
});
