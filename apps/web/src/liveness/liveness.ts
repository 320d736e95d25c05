/**
 * @module liveness — what the UI says about a host: live, stale (samples stopped), waiting for its first
 * sample, offline, reconnecting (after a server restart), unknown (the browser lost the server) or not
 * enrolled. One rule, used by the fleet, the host page and the actions.
 */
import type { Host } from '@hostwire/protocol';

export type Liveness = 'live' | 'stale' | 'waiting' | 'offline' | 'reconnecting' | 'unknown' | 'not-enrolled';

/** Sampling intervals when the server did not say (its defaults). */
export const DEFAULT_SAMPLING = { slowIntervalMs: 10_000, liveIntervalMs: 1_000 } as const;

/** After the browser reconnects, agents need a moment to reconnect too: offline reads "reconnecting". */
export const RECONNECT_GRACE_MS = 30_000;

/** A host is stale once its newest sample is older than this many sampling intervals. */
export const STALE_INTERVALS = 2;

/** Everything liveness depends on besides the host. */
export interface LivenessContext {
  now: number;
  /** When the newest sample arrived (browser clock), or its own timestamp when loaded; null if none. */
  sampleAt: number | null;
  /** The interval the host is expected to sample at. */
  intervalMs: number;
  /** False while the browser has no connection to the server. */
  connected: boolean;
  /** When the browser's connection last came back, or null. */
  reconnectedAt: number | null;
  /** Whether the host was online when the connection was lost. */
  onlineAtLoss: boolean;
}

/** The liveness of `host`. */
export function livenessOf(host: Host, ctx: LivenessContext): Liveness {
  if (host.enrolledAt === null && host.agent === null) return 'not-enrolled';
  if (!ctx.connected) return 'unknown';
  if (host.status === 'offline') {
    const inGrace = ctx.reconnectedAt !== null && ctx.now - ctx.reconnectedAt < RECONNECT_GRACE_MS;
    return inGrace && ctx.onlineAtLoss ? 'reconnecting' : 'offline';
  }
  if (ctx.sampleAt === null) return 'waiting';
  return ctx.now - ctx.sampleAt > STALE_INTERVALS * ctx.intervalMs ? 'stale' : 'live';
}

/** Figures are trustworthy (full colour) only while live. */
export function isFresh(liveness: Liveness): boolean {
  return liveness === 'live';
}

/** The word shown for a liveness. */
export const LIVENESS_LABELS: Record<Liveness, string> = {
  live: 'online',
  stale: 'stale',
  waiting: 'online',
  offline: 'offline',
  reconnecting: 'reconnecting',
  unknown: 'unknown',
  'not-enrolled': 'not enrolled',
};

/** Why actions cannot run now, or null when they can. */
export function runBlockedReason(liveness: Liveness): string | null {
  switch (liveness) {
    case 'live':
    case 'waiting':
      return null;
    case 'stale':
      return 'The agent stopped sending samples; it may be frozen or cut off.';
    case 'offline':
      return 'The host is offline.';
    case 'reconnecting':
      return 'The agent is reconnecting after a server restart.';
    case 'unknown':
      return 'The connection to Hostwire is down.';
    case 'not-enrolled':
      return 'The host has no agent yet.';
  }
}
