import type { Host } from '@hostwire/protocol';
import { describe, expect, it } from 'vitest';
import { livenessOf, RECONNECT_GRACE_MS, runBlockedReason, type LivenessContext } from './liveness.js';

const NOW = 1_800_000_000_000;

const host = (overrides: Partial<Host> = {}): Host => ({
  id: 'h1',
  organizationId: 'o1',
  name: 'web-1',
  status: 'online',
  lastSeenAt: NOW,
  createdAt: NOW - 60_000,
  enrolledAt: NOW - 50_000,
  agent: null,
  summary: null,
  ...overrides,
});

const ctx = (overrides: Partial<LivenessContext> = {}): LivenessContext => ({
  now: NOW,
  sampleAt: NOW - 500,
  intervalMs: 1000,
  connected: true,
  reconnectedAt: null,
  onlineAtLoss: false,
  ...overrides,
});

describe('livenessOf', () => {
  it('is live while the newest sample is younger than two intervals', () => {
    expect(livenessOf(host(), ctx({ sampleAt: NOW - 2000 }))).toBe('live');
  });

  it('calls an online host stale once its newest sample is older than two intervals', () => {
    expect(livenessOf(host(), ctx({ sampleAt: NOW - 2001 }))).toBe('stale');
    expect(livenessOf(host(), ctx({ sampleAt: NOW - 25_000, intervalMs: 10_000 }))).toBe('stale');
  });

  it('says an online host without any sample is waiting for it', () => {
    expect(livenessOf(host(), ctx({ sampleAt: null }))).toBe('waiting');
  });

  it('marks a host never enrolled as such, whatever else is known', () => {
    expect(livenessOf(host({ enrolledAt: null, status: 'offline' }), ctx())).toBe('not-enrolled');
  });

  it('says nothing certain while the browser is disconnected', () => {
    expect(livenessOf(host(), ctx({ connected: false }))).toBe('unknown');
  });

  it('shows a host that was online as reconnecting for a grace period after the server returns', () => {
    const offline = host({ status: 'offline' });
    const back = { reconnectedAt: NOW - 1000, onlineAtLoss: true };
    expect(livenessOf(offline, ctx(back))).toBe('reconnecting');
    expect(livenessOf(offline, ctx({ ...back, reconnectedAt: NOW - RECONNECT_GRACE_MS }))).toBe('offline');
    expect(livenessOf(offline, ctx({ ...back, onlineAtLoss: false }))).toBe('offline');
  });

  it('blocks runs with a reason on every state but live and waiting', () => {
    expect(runBlockedReason('live')).toBeNull();
    expect(runBlockedReason('waiting')).toBeNull();
    expect(runBlockedReason('stale')).toMatch(/stopped sending/);
    expect(runBlockedReason('offline')).toMatch(/offline/);
  });
});
