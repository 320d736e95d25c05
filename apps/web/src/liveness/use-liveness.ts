/** @module use-liveness — the connection facts liveness needs, from the realtime client, as React hooks. */
import { useEffect, useRef } from 'react';
import { useConnectionState, useRealtime } from '../realtime/realtime-context.js';
import { DEFAULT_SAMPLING } from './liveness.js';

/** Whether the browser is connected, when it last reconnected, and the server's sampling intervals. */
export interface ConnectionFacts {
  connected: boolean;
  reconnectedAt: number | null;
  slowIntervalMs: number;
  liveIntervalMs: number;
}

/** The connection facts, re-rendering when they change. */
export function useConnectionFacts(): ConnectionFacts {
  const client = useRealtime();
  const state = useConnectionState();
  const sampling = client.welcome?.sampling ?? DEFAULT_SAMPLING;
  return {
    connected: state === 'open',
    reconnectedAt: client.reconnectedAt,
    slowIntervalMs: sampling.slowIntervalMs,
    liveIntervalMs: sampling.liveIntervalMs,
  };
}

/** Calls the latest `onLost` each time an open connection drops (to remember what was online). */
export function useOnConnectionLost(onLost: () => void): void {
  const client = useRealtime();
  const ref = useRef(onLost);
  useEffect(() => {
    ref.current = onLost;
  });
  useEffect(() => {
    let previous = client.state;
    return client.onState((state) => {
      if (previous === 'open' && state !== 'open') ref.current();
      previous = state;
    });
  }, [client]);
}
