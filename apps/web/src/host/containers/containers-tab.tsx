/**
 * @module containers-tab — the containers of a host: a live table (from each metrics sample), the chosen
 * container's charts (its history, continued live) and its log one click away (`container:<name>`).
 */
import { isContainerDown, topicFor, type Host, type HostContainer } from '@hostwire/protocol';
import { useEffect, useState } from 'react';
import { api } from '../../api/endpoints.js';
import { errorMessage } from '../../api/http.js';
import { EmptyState, ErrorText, Loading } from '../../components/bits.js';
import { useRealtimeMessages, useResync } from '../../realtime/realtime-context.js';
import { Link, setSearchParam, useSearchParam } from '../../router/router.js';
import { formatAgo, formatBytes, formatRate, formatUptime } from '../../util/format.js';
import { useNow } from '../../util/hooks.js';
import { ContainerActions } from './container-actions.js';
import { ContainerCharts } from './container-charts.js';

function healthText(c: HostContainer): string {
  return c.health === 'none' ? '–' : c.health;
}

/** The containers tab of a host. */
export function ContainersTab({
  host,
  canRun,
  blockedReason,
}: {
  host: Host;
  canRun: boolean;
  blockedReason: string | null;
}) {
  const [containers, setContainers] = useState<readonly HostContainer[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  const selected = useSearchParam('container');
  const now = useNow(1000);

  useEffect(() => {
    const controller = new AbortController();
    api
      .containers(host.id, controller.signal)
      .then((body) => {
        setContainers(body.containers);
        setError(null);
      })
      .catch((e: unknown) => {
        if (!controller.signal.aborted) setError(errorMessage(e));
      });
    return () => controller.abort();
  }, [host.id, reload]);

  useRealtimeMessages((message) => {
    if (message.type !== 'metrics' || message.hostId !== host.id || !message.sample.containers) return;
    const { ts, containers: live } = message.sample;
    setContainers(live.map((c) => ({ ...c, lastSeenAt: ts })));
  });
  useResync((topics) => {
    if (topics === null || topics.includes(topicFor.host(host.id))) setReload((n) => n + 1);
  });

  if (!containers) return error ? <ErrorText message={error} /> : <Loading label="Loading containers…" />;
  if (containers.length === 0) {
    return (
      <EmptyState>
        No containers reported. The agent reads them from the Docker Engine API (Docker, or Podman&apos;s
        socket): see <code>containers.socket</code> in the agent config.
      </EmptyState>
    );
  }
  const base = `/hosts/${encodeURIComponent(host.id)}`;
  // A container missing from the newest sample was removed (the server lists it for a while).
  const newestSeen = Math.max(...containers.map((c) => c.lastSeenAt));
  const current = containers.filter((c) => c.lastSeenAt >= newestSeen);
  const down = current.filter((c) => isContainerDown(c)).length;
  const chosen = containers.find((c) => c.name === selected);

  return (
    <div className="containers" data-testid="containers-tab">
      <p className="muted small" data-testid="containers-summary">
        {current.length} container{current.length === 1 ? '' : 's'}
        {down > 0 ? `, ${down} down` : ''}
      </p>
      <ErrorText message={error} />
      <div className="table-scroll">
        <table className="table compact" data-testid="containers-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Image</th>
              <th scope="col">State</th>
              <th scope="col">Health</th>
              <th scope="col" className="num">
                CPU
              </th>
              <th scope="col" className="num">
                Memory
              </th>
              <th scope="col" className="num">
                Network ↓ / ↑
              </th>
              <th scope="col" className="num">
                Block I/O r / w
              </th>
              <th scope="col" className="num">
                Uptime
              </th>
              <th scope="col" className="num">
                Restarts
              </th>
              <th scope="col">
                <span className="visually-hidden">Log</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {containers.map((c) => {
              const gone = c.lastSeenAt < newestSeen;
              const isDown = isContainerDown(c);
              const running = c.state === 'running' && !gone;
              return (
                <tr
                  key={c.name}
                  data-testid={`container-row-${c.name}`}
                  data-state={c.state}
                  data-health={c.health}
                  data-gone={gone || undefined}
                  className={c.name === selected ? 'selected' : gone ? 'muted' : undefined}
                >
                  <td>
                    <button
                      type="button"
                      className="link-button"
                      aria-pressed={c.name === selected}
                      onClick={() => setSearchParam('container', c.name === selected ? null : c.name)}
                      data-testid={`container-select-${c.name}`}
                    >
                      {c.name}
                    </button>
                  </td>
                  <td className="ellipsis muted" title={c.image}>
                    {c.image}
                  </td>
                  <td className={isDown ? 'containers-down' : undefined} data-testid="container-state">
                    {gone ? `gone (seen ${formatAgo(c.lastSeenAt, now)})` : c.state}
                  </td>
                  <td className={c.health === 'unhealthy' ? 'containers-down' : undefined}>
                    {healthText(c)}
                  </td>
                  <td className="num">{running ? `${c.cpuPercent.toFixed(1)}%` : '–'}</td>
                  <td className="num">
                    {running ? formatBytes(c.memoryBytes) : '–'}
                    {running && c.memoryLimitBytes > 0 ? (
                      <span className="muted"> / {formatBytes(c.memoryLimitBytes)}</span>
                    ) : null}
                  </td>
                  <td className="num">
                    {running ? `${formatRate(c.netRxBps)} / ${formatRate(c.netTxBps)}` : '–'}
                  </td>
                  <td className="num">
                    {running ? `${formatRate(c.blockReadBps)} / ${formatRate(c.blockWriteBps)}` : '–'}
                  </td>
                  <td className="num">
                    {running && c.startedAt ? formatUptime(Math.max(0, now - c.startedAt) / 1000) : '–'}
                  </td>
                  <td className="num" data-testid="container-restarts">
                    {c.restartCount}
                  </td>
                  <td>
                    <Link
                      to={`${base}/logs?source=${encodeURIComponent(`container:${c.name}`)}`}
                      data-testid={`container-logs-${c.name}`}
                    >
                      Log
                    </Link>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {chosen ? (
        <>
          <ContainerActions host={host} name={chosen.name} canRun={canRun} blockedReason={blockedReason} />
          <ContainerCharts hostId={host.id} name={chosen.name} />
        </>
      ) : (
        <p className="muted small">Choose a container to see its charts.</p>
      )}
    </div>
  );
}
