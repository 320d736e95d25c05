/** @module fleet-page — every host of the organization, live over the `org:` topic. */
import { roleAtLeast, topicFor, type Host, type Organization } from '@hostwire/protocol';
import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../api/endpoints.js';
import { errorMessage } from '../api/http.js';
import { EmptyState, ErrorText, Loading } from '../components/bits.js';
import { useRealtimeMessages, useResync, useTopic } from '../realtime/realtime-context.js';
import { AddHostDialog } from './add-host-dialog.js';
import { FleetTable } from './fleet-table.js';
import { applyFleetEvent, filterAndSort, SORT_KEYS, type SortKey, type SortOrder } from './fleet-sort.js';

const SORT_LABELS: Record<SortKey, string> = {
  name: 'Name',
  status: 'Status',
  cpu: 'CPU',
  memory: 'Memory',
  disk: 'Disk',
  lastSeen: 'Last seen',
};

/** The fleet overview of `organization`. */
export function FleetPage({ organization }: { organization: Organization }) {
  const orgId = organization.id;
  const [hosts, setHosts] = useState<readonly Host[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [filter, setFilter] = useState('');
  const [order, setOrder] = useState<SortOrder>({ key: 'name', descending: false });
  const [adding, setAdding] = useState(false);
  const canManage = roleAtLeast(organization.role, 'admin');

  const load = useCallback(async () => {
    try {
      const result = await api.hosts(orgId);
      setHosts(result.hosts);
      setError(null);
    } catch (e) {
      setError(errorMessage(e));
    }
  }, [orgId]);

  const fetching = useRef(new Set<string>());
  const fetchOne = useCallback(async (hostId: string) => {
    fetching.current.add(hostId);
    try {
      const { host } = await api.host(hostId);
      setHosts((current) => {
        if (!current) return current;
        return current.some((h) => h.id === hostId)
          ? current.map((h) => (h.id === hostId ? host : h))
          : [...current, host];
      });
    } catch {
      // The host may be gone or out of reach already; the next full refresh settles it.
    } finally {
      fetching.current.delete(hostId);
    }
  }, []);

  useEffect(() => {
    setHosts(null);
    void load();
  }, [load]);

  useTopic(topicFor.org(orgId));
  useRealtimeMessages((message) => {
    setHosts((current) => (current ? applyFleetEvent(current, message, orgId).hosts : current));
    // A new host, or new agent details (catalog, OS): fetch the whole record.
    if (message.type === 'host.upserted' && message.organizationId === orgId) void fetchOne(message.hostId);
    // Figures from a host listed without agent details: it enrolled since, so its record has them now.
    if (
      message.type === 'host.summary' &&
      message.organizationId === orgId &&
      !fetching.current.has(message.hostId)
    ) {
      if (hosts?.some((h) => h.id === message.hostId && h.agent === null)) void fetchOne(message.hostId);
    }
  });
  useResync((topics) => {
    if (topics === null || topics.includes(topicFor.org(orgId))) void load();
  });

  const toggleSort = (key: SortKey) =>
    setOrder((current) =>
      current.key === key ? { key, descending: !current.descending } : { key, descending: key !== 'name' },
    );

  const shown = hosts ? filterAndSort(hosts, filter, order) : [];
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
        <FleetTable hosts={shown} order={order} labels={SORT_LABELS} onSort={toggleSort} />
      )}
      {adding ? (
        <AddHostDialog organizationId={orgId} hosts={hosts ?? []} onClose={() => setAdding(false)} />
      ) : null}
    </section>
  );
}
