/** @module host-liveness — when a watched host's live samples arrive, and the interval they are expected at. */
import { useCallback, useState } from 'react';

/** Arrival times of the live samples the host page received. */
export interface SampleClock {
  /** Browser time of the newest live sample; null until one arrived. */
  sampleAt: number | null;
  /** The gap between the last two live samples, once two arrived. */
  gapMs: number | null;
}

/** The interval a watched host is expected to sample at: the observed gap, within [live, slow]. */
export function expectedInterval(
  clock: SampleClock,
  sampling: { slowIntervalMs: number; liveIntervalMs: number },
): number {
  // Until two live samples arrived the agent may still be on its slow interval (the switch is async).
  if (clock.gapMs === null) return sampling.slowIntervalMs;
  return Math.min(sampling.slowIntervalMs, Math.max(sampling.liveIntervalMs, clock.gapMs));
}

/** The host page's sample clock and the function recording a live sample's arrival. */
export function useSampleClock(): [SampleClock, (now: number) => void] {
  const [clock, setClock] = useState<SampleClock>({ sampleAt: null, gapMs: null });
  const record = useCallback(
    (now: number) =>
      setClock((c) => ({ sampleAt: now, gapMs: c.sampleAt === null ? null : now - c.sampleAt })),
    [],
  );
  return [clock, record];
}
