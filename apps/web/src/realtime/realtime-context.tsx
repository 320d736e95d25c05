/** @module realtime-context — one RealtimeClient per signed-in session, and hooks views use to listen. */
import type { ServerToClient } from '@hostwire/protocol';
import {
  createContext,
  useContext,
  useEffect,
  useRef,
  useState,
  useSyncExternalStore,
  type ReactNode,
} from 'react';
import { api } from '../api/endpoints.js';
import { ApiError } from '../api/http.js';
import { RealtimeClient, type ConnectionState, type ResyncListener } from './client.js';

const RealtimeContext = createContext<RealtimeClient | null>(null);

function socketUrl(ticket: string): string {
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${window.location.host}/ws/client?ticket=${encodeURIComponent(ticket)}`;
}

/** Starts the realtime connection for its children and stops it when they unmount. */
export function RealtimeProvider({
  onSessionEnded,
  children,
}: {
  onSessionEnded: () => void;
  children: ReactNode;
}) {
  const endedRef = useRef(onSessionEnded);
  useEffect(() => {
    endedRef.current = onSessionEnded;
  });
  const [client, setClient] = useState<RealtimeClient | null>(null);
  // Created in the effect so StrictMode's mount-unmount-mount ends with one live client, not a stopped one.
  useEffect(() => {
    const next = new RealtimeClient({
      getTicket: async () => (await api.wsTicket()).ticket,
      url: socketUrl,
      WebSocket: window.WebSocket,
      isSessionError: (error) => error instanceof ApiError && error.status === 401,
      onSessionEnded: () => endedRef.current(),
    });
    next.start();
    setClient(next);
    return () => next.stop();
  }, []);
  if (!client) return null;
  return <RealtimeContext.Provider value={client}>{children}</RealtimeContext.Provider>;
}

/** The realtime client of the session. */
export function useRealtime(): RealtimeClient {
  const client = useContext(RealtimeContext);
  if (!client) throw new Error('useRealtime needs a <RealtimeProvider>');
  return client;
}

/** The connection state, re-rendering on change. */
export function useConnectionState(): ConnectionState {
  const client = useRealtime();
  return useSyncExternalStore(
    (onChange) => client.onState(onChange),
    () => client.state,
  );
}

/** Keeps `topic` subscribed while the component is mounted (nothing when null). */
export function useTopic(topic: string | null): void {
  const client = useRealtime();
  useEffect(() => (topic ? client.subscribe(topic) : undefined), [client, topic]);
}

/** Calls the latest `handler` for every server frame. */
export function useRealtimeMessages(handler: (message: ServerToClient) => void): void {
  const client = useRealtime();
  const ref = useRef(handler);
  useEffect(() => {
    ref.current = handler;
  });
  useEffect(() => client.onMessage((message) => ref.current(message)), [client]);
}

/** Calls the latest `handler` after a reconnect (`null`) or a `gap` naming topics. */
export function useResync(handler: ResyncListener): void {
  const client = useRealtime();
  const ref = useRef(handler);
  useEffect(() => {
    ref.current = handler;
  });
  useEffect(() => client.onResync((topics) => ref.current(topics)), [client]);
}
