/** @module fleet-table — the host table (cards on a phone) with sortable column headers. */
import type { Host } from '@hostwire/protocol';
import { StatusDot, UsageBar } from '../components/bits.js';
import { Link } from '../router/router.js';
import { formatAgo } from '../util/format.js';
import { useNow } from '../util/hooks.js';
import type { SortKey, SortOrder } from './fleet-sort.js';

interface FleetTableProps {
  hosts: readonly Host[];
  order: SortOrder;
  labels: Record<SortKey, string>;
  onSort: (key: SortKey) => void;
}

function SortHeader({ column, order, labels, onSort }: { column: SortKey } & Omit<FleetTableProps, 'hosts'>) {
  const active = order.key === column;
  return (
    <th scope="col" aria-sort={active ? (order.descending ? 'descending' : 'ascending') : 'none'}>
      <button
        type="button"
        className="sort-button"
        data-testid={`sort-${column}`}
        onClick={() => onSort(column)}
      >
        {labels[column]}
        <span aria-hidden="true" className="sort-arrow">
          {active ? (order.descending ? '↓' : '↑') : ''}
        </span>
      </button>
    </th>
  );
}

/** The fleet as a table. */
export function FleetTable({ hosts, order, labels, onSort }: FleetTableProps) {
  const now = useNow(5000);
  const head = { order, labels, onSort };
  return (
    <table className="table fleet-table" data-testid="fleet-table">
      <thead>
        <tr>
          <SortHeader column="name" {...head} />
          <SortHeader column="status" {...head} />
          <SortHeader column="cpu" {...head} />
          <SortHeader column="memory" {...head} />
          <SortHeader column="disk" {...head} />
          <SortHeader column="lastSeen" {...head} />
        </tr>
      </thead>
      <tbody>
        {hosts.map((host) => (
          <tr key={host.id} data-testid={`host-row-${host.id}`} data-status={host.status}>
            <td data-label="Name" className="cell-name">
              <Link to={`/hosts/${encodeURIComponent(host.id)}`} className="host-link">
                {host.name}
              </Link>
              {host.agent ? (
                <span className="muted small">
                  {host.agent.os.platform} · {host.agent.hostname}
                </span>
              ) : (
                <span className="muted small">not enrolled</span>
              )}
            </td>
            <td data-label="Status">
              <span className="status">
                <StatusDot status={host.status} />
                <span data-testid="host-status">{host.status}</span>
              </span>
            </td>
            <td data-label="CPU">
              <UsageBar value={host.summary?.cpu} label={`CPU of ${host.name}`} />
            </td>
            <td data-label="Memory">
              <UsageBar value={host.summary?.memory} label={`Memory of ${host.name}`} />
            </td>
            <td data-label="Disk">
              <UsageBar value={host.summary?.disk} label={`Disk of ${host.name}`} />
            </td>
            <td data-label="Last seen" className="muted">
              {host.status === 'online' ? 'now' : formatAgo(host.lastSeenAt, now)}
            </td>
          </tr>
        ))}
        {hosts.length === 0 ? (
          <tr>
            <td colSpan={6} className="muted">
              No host matches the filter.
            </td>
          </tr>
        ) : null}
      </tbody>
    </table>
  );
}
