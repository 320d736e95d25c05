/** @module alerts-context — one live AlertsStore per organization for every page, and the hooks to read it. */
import { topicFor, type Alert } from '@hostwire/protocol';
import { createContext, useContext, useEffect, useState, useSyncExternalStore, type ReactNode } from 'react';
import { api } from '../api/endpoints.js';
import { useRealtimeMessages, useResync, useTopic } from '../realtime/realtime-context.js';
import { AlertsStore, type AlertsSnapshot } from './alerts-store.js';

const AlertsContext = createContext<AlertsStore | null>(null);

/** Loads the organization's alerts and keeps them live while mounted. */
export function AlertsProvider({
  organizationId,
  children,
}: {
  organizationId: string;
  children: ReactNode;
}) {
  const [store] = useState(() => new AlertsStore(organizationId));
  const [reload, setReload] = useState(0);
  useEffect(() => {
    let cancelled = false;
    api.alerts(organizationId).then(
      (result) => {
        if (!cancelled) store.load(result.alerts);
      },
      () => undefined,
    );
    return () => {
      cancelled = true;
    };
  }, [organizationId, store, reload]);
  useTopic(topicFor.org(organizationId));
  useRealtimeMessages((message) => {
    store.apply(message);
  });
  useResync((topics) => {
    if (topics === null || topics.includes(topicFor.org(organizationId))) setReload((n) => n + 1);
  });
  return <AlertsContext.Provider value={store}>{children}</AlertsContext.Provider>;
}

const NONE: AlertsSnapshot = { firing: null, resolved: [], byHost: new Map() };
const noop = () => () => undefined;

/** The organization's alerts (an empty snapshot outside a provider). */
export function useAlerts(): AlertsSnapshot {
  const store = useContext(AlertsContext);
  return useSyncExternalStore(store ? store.subscribe : noop, store ? store.getSnapshot : () => NONE);
}

/** The firing alerts of one host. */
export function useHostAlerts(hostId: string): readonly Alert[] {
  return useAlerts().byHost.get(hostId) ?? [];
}
