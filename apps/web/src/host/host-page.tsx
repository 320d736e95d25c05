/** @module host-page — one host: live header (status, agent, OS) and the Metrics / Containers / Logs / Actions tabs. */
import { roleAtLeast, topicFor, type Host } from '@hostwire/protocol';
import { useCallback, useEffect, useState } from 'react';
import { useHostAlerts } from '../alerts/alerts-context.js';
import { chartLink } from '../alerts/alerts-page.js';
import { api } from '../api/endpoints.js';
import { ApiError, errorMessage } from '../api/http.js';
import { ErrorText, Loading, StatusLabel } from '../components/bits.js';
import { isFresh, livenessOf, runBlockedReason, type Liveness } from '../liveness/liveness.js';
import { useConnectionFacts, useOnConnectionLost } from '../liveness/use-liveness.js';
import { useRealtimeMessages, useResync, useTopic } from '../realtime/realtime-context.js';
import { Link } from '../router/router.js';
import { useRoleIn } from '../session/session.js';
import { formatAgo } from '../util/format.js';
import { useNow } from '../util/hooks.js';
import { ActionsTab } from './actions/actions-tab.js';
import { ContainersTab } from './containers/containers-tab.js';
import { HostAdmin } from './host-admin.js';
import { expectedInterval, useSampleClock } from './host-liveness.js';
import { HostSetup } from './host-setup.js';
import { LogsTab } from './logs/logs-tab.js';
import { MetricsTab } from './metrics/metrics-tab.js';

const TABS = [
  { id: 'metrics', label: 'Metrics' },
  { id: 'containers', label: 'Containers' },
  { id: 'logs', label: 'Logs' },
  { id: 'actions', label: 'Actions' },
] as const;

/** The page of host `hostId`, showing `tab`. */
export function HostPage({ hostId, tab }: { hostId: string; tab: string }) {
  const [host, setHost] = useState<Host | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [removed, setRemoved] = useState(false);
  const now = useNow(1000);
  const role = useRoleIn(host?.organizationId);
  const connection = useConnectionFacts();
  const [clock, recordSample] = useSampleClock();
  const [onlineAtLoss, setOnlineAtLoss] = useState(false);
  const firing = useHostAlerts(hostId);
  useOnConnectionLost(() => setOnlineAtLoss(host?.status === 'online'));

  const load = useCallback(async () => {
    try {
      setHost((await api.host(hostId)).host);
      setError(null);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) setRemoved(true);
      setError(errorMessage(e));
    }
  }, [hostId]);

  useEffect(() => {
    void load();
  }, [load]);

  useTopic(topicFor.host(hostId));
  useRealtimeMessages((message) => {
    if (!('hostId' in message) || message.hostId !== hostId) return;
    if (message.type === 'metrics') {
      recordSample(Date.now());
    } else if (message.type === 'host.status') {
      setHost((h) =>
        h ? { ...h, status: message.status, lastSeenAt: message.lastSeenAt ?? h.lastSeenAt } : h,
      );
    } else if (message.type === 'host.agent') {
      const { agentVersion, hostname, os, actions, logSources } = message;
      setHost((h) => (h ? { ...h, agent: { agentVersion, hostname, os, actions, logSources } } : h));
    } else if (message.type === 'host.removed') {
      setRemoved(true);
    }
  });
  useResync((topics) => {
    if (topics === null || topics.includes(topicFor.host(hostId))) void load();
  });

  if (removed) {
    return (
      <div className="card narrow" data-testid="host-removed">
        <h1>Host not found</h1>
        <p>This host was removed or you no longer have access to it.</p>
        <Link to="/">Back to the fleet</Link>
      </div>
    );
  }
  if (!host) return error ? <ErrorText message={error} /> : <Loading label="Loading host…" />;

  const active = TABS.find((t) => t.id === tab)?.id ?? 'metrics';
  const base = `/hosts/${encodeURIComponent(host.id)}`;
  const canRun = role !== null && roleAtLeast(role, 'operator');
  const isAdmin = role !== null && roleAtLeast(role, 'admin');
  const listedAt = host.summary ? Math.min(host.summary.ts, now) : null;
  const sampleAt = clock.sampleAt ?? listedAt;
  const liveness: Liveness = livenessOf(host, {
    now,
    sampleAt,
    intervalMs: expectedInterval(clock, connection),
    connected: connection.connected,
    reconnectedAt: connection.reconnectedAt,
    onlineAtLoss,
  });

  return (
    <section
      aria-labelledby="host-title"
      data-testid="host-page"
      data-status={host.status}
      data-liveness={liveness}
      className={isFresh(liveness) ? 'host-page' : 'host-page host-not-fresh'}
    >
      <div className="page-head host-head">
        <div className="host-head-main">
          <p className="crumbs">
            <Link to="/">Fleet</Link> /
          </p>
          <h1 id="host-title">{host.name}</h1>
          <p className="host-meta">
            <StatusLabel liveness={liveness} />
            <span data-testid="host-sample-age" className={liveness === 'stale' ? 'age-stale' : undefined}>
              {sampleAgeText(liveness, sampleAt, host.lastSeenAt, now)}
            </span>
            {host.agent ? (
              <>
                <span data-testid="host-agent-version" className="host-meta-extra">
                  agent {host.agent.agentVersion}
                </span>
                <span data-testid="host-os" className="host-meta-extra">
                  {host.agent.os.platform} {host.agent.os.release} ({host.agent.os.arch})
                </span>
                <span className="host-meta-extra">{host.agent.hostname}</span>
              </>
            ) : null}
          </p>
          {firing.length > 0 ? (
            <p className="host-alerts" data-testid="host-alerts" role="status">
              {firing.map((a) => (
                <Link key={a.id} to={chartLink(a)} className={`badge badge-danger severity-${a.severity}`}>
                  {a.ruleName}
                  {a.container ? ` (${a.container})` : ''} firing
                </Link>
              ))}
            </p>
          ) : null}
        </div>
        {isAdmin ? <HostAdmin host={host} /> : null}
      </div>
      <ErrorText message={error} />
      {liveness === 'not-enrolled' ? (
        <HostSetup host={host} canEnroll={isAdmin} />
      ) : (
        <>
          <nav className="tabs" aria-label="Host sections">
            {TABS.map((t) => (
              <Link
                key={t.id}
                to={t.id === 'metrics' ? base : `${base}/${t.id}`}
                className={t.id === active ? 'tab active' : 'tab'}
                aria-current={t.id === active ? 'page' : undefined}
                data-testid={`tab-${t.id}`}
              >
                {t.label}
              </Link>
            ))}
          </nav>
          <div className="tab-panel">
            {active === 'metrics' ? <MetricsTab hostId={host.id} /> : null}
            {active === 'containers' ? (
              <ContainersTab host={host} canRun={canRun} blockedReason={runBlockedReason(liveness)} />
            ) : null}
            {active === 'logs' ? <LogsTab host={host} /> : null}
            {active === 'actions' ? (
              <ActionsTab host={host} canRun={canRun} blockedReason={runBlockedReason(liveness)} />
            ) : null}
          </div>
        </>
      )}
    </section>
  );
}

/** "newest sample 3 s ago", "last seen 5 min ago", "waiting for the first sample". */
function sampleAgeText(liveness: Liveness, sampleAt: number | null, lastSeenAt: number | null, now: number) {
  switch (liveness) {
    case 'not-enrolled':
      return 'agent not enrolled yet';
    case 'offline':
    case 'reconnecting':
      return `last seen ${formatAgo(lastSeenAt, now)}`;
    case 'waiting':
      return 'waiting for the first sample';
    default:
      return sampleAt === null ? 'no sample yet' : `newest sample ${formatAgo(sampleAt, now)}`;
  }
}
