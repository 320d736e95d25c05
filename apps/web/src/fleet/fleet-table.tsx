/** @module fleet-table — the host table (cards on a phone) with sortable headers and honest liveness per row. */
import type { Alert, Host } from '@hostwire/protocol';
import { useWindowVirtualizer } from '@tanstack/react-virtual';
import { memo, useLayoutEffect, useRef, useState, type ReactNode } from 'react';
import { StatusLabel, UsageBar } from '../components/bits.js';
import { isFresh, livenessOf, type Liveness } from '../liveness/liveness.js';
import type { ConnectionFacts } from '../liveness/use-liveness.js';
import { Link } from '../router/router.js';
import { formatAgo } from '../util/format.js';
import { useNow } from '../util/hooks.js';
import { isOutdated, useAgentRelease } from './agent-release.js';
import type { FleetSnapshot } from './fleet-store.js';
import type { SortKey, SortOrder } from './fleet-sort.js';

interface FleetTableProps {
  hosts: readonly Host[];
  snapshot: FleetSnapshot;
  connection: ConnectionFacts;
  /** Names used by more than one host (lower case). */
  duplicateNames: ReadonlySet<string>;
  order: SortOrder;
  labels: Record<SortKey, string>;
  onSort: (key: SortKey) => void;
  /** Firing alerts by host id. */
  alertsByHost: ReadonlyMap<string, readonly Alert[]>;
}

type HeadProps = Pick<FleetTableProps, 'order' | 'labels' | 'onSort'>;

function SortHeader({ column, order, labels, onSort }: { column: SortKey } & HeadProps) {
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

/** What the "last sample" cell says. */
function ageText(host: Host, liveness: Liveness, sampleAt: number | undefined, now: number): string {
  if (liveness === 'not-enrolled') return 'never';
  if (liveness === 'offline' || liveness === 'reconnecting') return `seen ${formatAgo(host.lastSeenAt, now)}`;
  if (sampleAt === undefined) return '–';
  return formatAgo(sampleAt, now);
}

/** `12 containers, 1 down`, `1 container`. */
export function containerCountText(counts: { total: number; down: number }): string {
  const total = `${counts.total} container${counts.total === 1 ? '' : 's'}`;
  return counts.down > 0 ? `${total}, ${counts.down} down` : total;
}

interface RowProps {
  host: Host;
  liveness: Liveness;
  age: string;
  duplicate: boolean;
  /** Windowed rows report their height (phone cards are taller than table rows). */
  measure?: ((element: HTMLTableRowElement | null) => void) | undefined;
  index: number;
  /** The agent version the server hands out (null when unknown). */
  latestAgent: string | null;
  /** The host's firing alerts (the same array while they do not change). */
  alerts: readonly Alert[] | undefined;
}

// A row re-renders only when its host, liveness or age text changed: a summary of one host of 1000
// does not redraw the other 999.
const FleetRow = memo(function FleetRow({
  host,
  liveness,
  age,
  duplicate,
  measure,
  index,
  latestAgent,
  alerts,
}: RowProps) {
  const stale = !isFresh(liveness);
  const href = `/hosts/${encodeURIComponent(host.id)}`;
  return (
    <tr
      ref={measure}
      data-index={index}
      data-testid={`host-row-${host.id}`}
      data-status={host.status}
      data-liveness={liveness}
    >
      <td data-label="Name" className="cell-name">
        <Link to={href} className="host-link">
          {host.name}
        </Link>
        {alerts && alerts.length > 0 ? (
          <Link
            to="/alerts"
            className="badge badge-danger"
            title={alerts.map((a) => a.ruleName + (a.container ? ` (${a.container})` : '')).join(', ')}
            data-testid="host-firing-alerts"
          >
            {alerts.length === 1 ? '1 alert' : `${alerts.length} alerts`}
          </Link>
        ) : null}
        {duplicate ? (
          <span
            className="badge badge-warn"
            title="Another host has the same name"
            data-testid="duplicate-name"
          >
            duplicate name
          </span>
        ) : null}
        {host.agent ? (
          <span className="muted small">
            {host.agent.os.platform} · {host.agent.hostname} ·{' '}
            <span data-testid="agent-version">agent {host.agent.agentVersion}</span>
            {isOutdated(host.agent.agentVersion, latestAgent) ? (
              <span
                className="badge badge-warn"
                title={`The server has agent ${latestAgent ?? ''}: run hostwire-agent update on the host`}
                data-testid="agent-outdated"
              >
                outdated
              </span>
            ) : null}
          </span>
        ) : null}
        {host.summary?.containers ? (
          <span
            className={host.summary.containers.down > 0 ? 'small containers-down' : 'muted small'}
            data-testid="container-count"
          >
            {containerCountText(host.summary.containers)}
          </span>
        ) : null}
      </td>
      <td data-label="Status">
        <StatusLabel liveness={liveness} />
      </td>
      {liveness === 'not-enrolled' ? (
        <td colSpan={3} className="muted cell-note" data-label="Figures" data-testid="host-not-enrolled">
          No agent yet — <Link to={href}>see the setup steps</Link>
        </td>
      ) : liveness === 'waiting' ? (
        <td colSpan={3} className="muted cell-note" data-label="Figures" data-testid="host-waiting">
          <span className="spinner small" aria-hidden="true" /> waiting for the first sample
        </td>
      ) : (
        <>
          <td data-label="CPU">
            <UsageBar value={host.summary?.cpu} label={`CPU of ${host.name}`} stale={stale} />
          </td>
          <td data-label="Memory">
            <UsageBar value={host.summary?.memory} label={`Memory of ${host.name}`} stale={stale} />
          </td>
          <td data-label="Disk">
            <UsageBar value={host.summary?.disk} label={`Disk of ${host.name}`} stale={stale} />
          </td>
        </>
      )}
      <td
        data-label="Last sample"
        className={liveness === 'stale' ? 'age-stale' : 'muted'}
        data-testid="host-age"
      >
        {age}
      </td>
    </tr>
  );
});

/** Above this many hosts only the rows near the viewport are in the DOM (a 1000-host fleet stays smooth). */
const WINDOWED_ABOVE = 150;
const ROW_ESTIMATE_PX = 58;

/** Renders the rows of `count` hosts, all of them or, for big fleets, those near the viewport. */
type RenderRow = (index: number, measure?: (element: HTMLTableRowElement | null) => void) => ReactNode;

function Rows({ count, renderRow }: { count: number; renderRow: RenderRow }) {
  if (count <= WINDOWED_ABOVE) return <>{Array.from({ length: count }, (_, i) => renderRow(i))}</>;
  return <WindowedRows count={count} renderRow={renderRow} />;
}

function WindowedRows({ count, renderRow }: { count: number; renderRow: RenderRow }) {
  const anchor = useRef<HTMLTableRowElement>(null);
  const [margin, setMargin] = useState(0);
  useLayoutEffect(() => {
    const top = anchor.current?.getBoundingClientRect().top ?? 0;
    setMargin(top + window.scrollY);
  }, []);
  const virtualizer = useWindowVirtualizer({
    count,
    estimateSize: () => ROW_ESTIMATE_PX,
    overscan: 10,
    scrollMargin: margin,
  });
  const items = virtualizer.getVirtualItems();
  const first = items[0];
  const last = items[items.length - 1];
  const before = first ? first.start - margin : 0;
  const after = last ? virtualizer.getTotalSize() - (last.end - margin) : 0;
  return (
    <>
      <tr ref={anchor} aria-hidden="true" className="spacer-row" style={{ height: Math.max(0, before) }} />
      {items.map((item) => renderRow(item.index, virtualizer.measureElement))}
      <tr aria-hidden="true" className="spacer-row" style={{ height: Math.max(0, after) }} />
    </>
  );
}

/** The fleet as a table. */
export function FleetTable({
  hosts,
  snapshot,
  connection,
  duplicateNames,
  order,
  labels,
  onSort,
  alertsByHost,
}: FleetTableProps) {
  const now = useNow(1000);
  const latestAgent = useAgentRelease();
  const head = { order, labels, onSort };
  const renderRow: RenderRow = (index, measure) => {
    const host = hosts[index];
    if (!host) return null;
    const sampleAt = snapshot.sampleAt.get(host.id);
    const liveness = livenessOf(host, {
      now,
      sampleAt: sampleAt ?? null,
      // Nobody watches a host from the fleet page: it samples at the slow interval.
      intervalMs: connection.slowIntervalMs,
      connected: connection.connected,
      reconnectedAt: connection.reconnectedAt,
      onlineAtLoss: snapshot.onlineAtLoss.has(host.id),
    });
    return (
      <FleetRow
        key={host.id}
        host={host}
        liveness={liveness}
        age={ageText(host, liveness, sampleAt, now)}
        duplicate={duplicateNames.has(host.name.toLowerCase())}
        measure={measure}
        index={index}
        latestAgent={latestAgent}
        alerts={alertsByHost.get(host.id)}
      />
    );
  };
  return (
    <table className="table fleet-table" data-testid="fleet-table" aria-rowcount={hosts.length + 1}>
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
        <Rows count={hosts.length} renderRow={renderRow} />
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
