/** @module fleet-page — every host of the organization, live over the `org:` topic, via a store outside React. */
import { roleAtLeast, topicFor, type Organization } from '@hostwire/protocol';
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { useAlerts } from '../alerts/alerts-context.js';
import { api } from '../api/endpoints.js';
import { errorMessage } from '../api/http.js';
import { EmptyState, ErrorText, Loading } from '../components/bits.js';
import { useConnectionFacts, useOnConnectionLost } from '../liveness/use-liveness.js';
import { useRealtimeMessages, useResync, useTopic } from '../realtime/realtime-context.js';
import { AddHostDialog } from './add-host-dialog.js';
import { FleetStore } from './fleet-store.js';
import { FleetTable } from './fleet-table.js';
import { filterAndSort, SORT_KEYS, type SortKey, type SortOrder } from './fleet-sort.js';

const SORT_LABELS: Record<SortKey, string> = {
  name: 'Name',
  status: 'Status',
  cpu: 'CPU',
  memory: 'Memory',
  disk: 'Disk',
  lastSeen: 'Last sample',
};

/** The fleet overview of `organization`. */
export function FleetPage({ organization }: { organization: Organization }) {
  const orgId = organization.id;
  const [store] = useState(() => new FleetStore(orgId));
  const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot);
  const hosts = snapshot.hosts;
  const connection = useConnectionFacts();
  const [error, setError] = useState<string | null>(null);
  const [filter, setFilter] = useState('');
  const [order, setOrder] = useState<SortOrder>({ key: 'name', descending: false });
  const [adding, setAdding] = useState(false);
  const canManage = roleAtLeast(organization.role, 'admin');
  const alertsByHost = useAlerts().byHost;

  useEffect(() => () => store.dispose(), [store]);

  const load = useCallback(async () => {
    try {
      store.load((await api.hosts(orgId)).hosts);
      setError(null);
    } catch (e) {
      setError(errorMessage(e));
    }
  }, [orgId, store]);

  const fetching = useRef(new Set<string>());
  const fetchOne = useCallback(
    async (hostId: string) => {
      if (fetching.current.has(hostId)) return;
      fetching.current.add(hostId);
      try {
        store.upsert((await api.host(hostId)).host);
      } catch {
        // The host may be gone or out of reach already; the next full refresh settles it.
      } finally {
        fetching.current.delete(hostId);
      }
    },
    [store],
  );

  useEffect(() => {
    void load();
  }, [load]);

  useTopic(topicFor.org(orgId));
  useRealtimeMessages((message) => {
    const needsFetch = store.apply(message);
    if (needsFetch) void fetchOne(needsFetch);
  });
  useResync((topics) => {
    if (topics === null || topics.includes(topicFor.org(orgId))) void load();
  });
  useOnConnectionLost(() => store.connectionLost());

  const toggleSort = (key: SortKey) =>
    setOrder((current) =>
      current.key === key ? { key, descending: !current.descending } : { key, descending: key !== 'name' },
    );

  const shown = useMemo(() => (hosts ? filterAndSort(hosts, filter, order) : []), [hosts, filter, order]);
  const duplicateNames = useMemo(() => {
    const seen = new Set<string>();
    const twice = new Set<string>();
    for (const h of hosts ?? []) {
      const name = h.name.toLowerCase();
      if (seen.has(name)) twice.add(name);
      seen.add(name);
    }
    return twice;
  }, [hosts]);
  const online = hosts?.filter((h) => h.status === 'online').length ?? 0;

  return (
    <section aria-labelledby="fleet-title">
      <div className="page-head">
        <div>
          <h1 id="fleet-title">Fleet</h1>
          {hosts ? (
            <p className="muted" data-testid="fleet-count">
              {hosts.length} {hosts.length === 1 ? 'host' : 'hosts'}, {online} online
            </p>
          ) : null}
        </div>
        {canManage ? (
          <button
            type="button"
            className="button primary"
            data-testid="add-host-button"
            onClick={() => setAdding(true)}
          >
            Add host
          </button>
        ) : null}
      </div>
      <div className="toolbar">
        <label className="field inline grow">
          <span className="visually-hidden">Filter hosts</span>
          <input
            type="search"
            placeholder="Filter by name, status, OS…"
            value={filter}
            data-testid="fleet-filter"
            onChange={(e) => setFilter(e.target.value)}
          />
        </label>
        <label className="field inline">
          <span>Sort</span>
          <select
            value={`${order.key}:${order.descending ? 'desc' : 'asc'}`}
            data-testid="fleet-sort"
            onChange={(e) => {
              const [key, dir] = e.target.value.split(':');
              const found = SORT_KEYS.find((k) => k === key);
              if (found) setOrder({ key: found, descending: dir === 'desc' });
            }}
          >
            {SORT_KEYS.flatMap((key) => [
              <option key={`${key}:asc`} value={`${key}:asc`}>
                {SORT_LABELS[key]} ↑
              </option>,
              <option key={`${key}:desc`} value={`${key}:desc`}>
                {SORT_LABELS[key]} ↓
              </option>,
            ])}
          </select>
        </label>
      </div>
      <ErrorText message={error} />
      {hosts === null ? (
        error ? null : (
          <Loading label="Loading hosts…" />
        )
      ) : hosts.length === 0 ? (
        <EmptyState>
          No hosts yet.{' '}
          {canManage ? 'Use “Add host” to enroll the first machine.' : 'Ask an admin to add one.'}
        </EmptyState>
      ) : (
        <FleetTable
          hosts={shown}
          snapshot={snapshot}
          connection={connection}
          duplicateNames={duplicateNames}
          order={order}
          labels={SORT_LABELS}
          onSort={toggleSort}
          alertsByHost={alertsByHost}
        />
      )}
      {adding ? (
        <AddHostDialog organizationId={orgId} hosts={hosts ?? []} onClose={() => setAdding(false)} />
      ) : null}
    </section>
  );
}
