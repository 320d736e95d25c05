/** @module alerts-page — firing and recently resolved alerts (live), and the Rules and Channels editors. */
import { roleAtLeast, type Alert, type Organization } from '@hostwire/protocol';
import { EmptyState, Loading } from '../components/bits.js';
import { Link } from '../router/router.js';
import { formatAgo, formatDateTime } from '../util/format.js';
import { useNow } from '../util/hooks.js';
import { useAlerts } from './alerts-context.js';
import { ChannelsPanel } from './channels-panel.js';
import { RulesPanel } from './rules-panel.js';

const TABS = [
  { id: 'alerts', label: 'Alerts', path: '/alerts' },
  { id: 'rules', label: 'Rules', path: '/alerts/rules' },
  { id: 'channels', label: 'Channels', path: '/alerts/channels' },
] as const;

/** The host's charts around the moment the alert fired. */
export function chartLink(alert: Alert): string {
  return `/hosts/${encodeURIComponent(alert.hostId)}?at=${alert.firedAt ?? alert.startedAt}`;
}

function formatValue(value: number | null): string {
  if (value === null) return '';
  return Math.abs(value) >= 1e5 ? value.toExponential(2) : String(Math.round(value * 100) / 100);
}

function AlertRow({ alert, now }: { alert: Alert; now: number }) {
  return (
    <tr data-testid={`alert-row-${alert.id}`} data-state={alert.state}>
      <td data-label="Severity">
        <span className={`badge severity-${alert.severity}`}>{alert.severity}</span>
      </td>
      <td data-label="Rule" className="cell-name">
        <strong>{alert.ruleName}</strong>
        {alert.container ? <span className="muted small"> container {alert.container}</span> : null}
      </td>
      <td data-label="Host">
        <Link to={`/hosts/${encodeURIComponent(alert.hostId)}`}>{alert.hostName}</Link>
      </td>
      <td data-label="Value">{formatValue(alert.value)}</td>
      <td data-label="Since" title={formatDateTime(alert.startedAt)}>
        {alert.state === 'resolved'
          ? `${formatDateTime(alert.firedAt ?? alert.startedAt)} → ${formatDateTime(alert.resolvedAt)}`
          : formatAgo(alert.firedAt ?? alert.startedAt, now)}
      </td>
      <td data-label="Chart">
        <Link to={chartLink(alert)} data-testid="alert-chart-link">
          chart at that time
        </Link>
      </td>
    </tr>
  );
}

function AlertTable({ alerts, testId }: { alerts: readonly Alert[]; testId: string }) {
  const now = useNow(5000);
  return (
    <table className="table" data-testid={testId}>
      <thead>
        <tr>
          <th scope="col">Severity</th>
          <th scope="col">Rule</th>
          <th scope="col">Host</th>
          <th scope="col">Value</th>
          <th scope="col">When</th>
          <th scope="col">
            <span className="visually-hidden">Chart</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {alerts.map((a) => (
          <AlertRow key={a.id} alert={a} now={now} />
        ))}
      </tbody>
    </table>
  );
}

function AlertLists() {
  const { firing, resolved } = useAlerts();
  if (firing === null) return <Loading label="Loading alerts…" />;
  return (
    <>
      <h2 className="section-title">Firing</h2>
      {firing.length === 0 ? (
        <EmptyState>
          <span data-testid="no-firing">Nothing is firing.</span>
        </EmptyState>
      ) : (
        <AlertTable alerts={firing} testId="firing-alerts" />
      )}
      <h2 className="section-title">Recently resolved</h2>
      {resolved.length === 0 ? (
        <EmptyState>No resolved alerts yet.</EmptyState>
      ) : (
        <AlertTable alerts={resolved} testId="resolved-alerts" />
      )}
    </>
  );
}

/** The Alerts section: `tab` is `alerts`, `rules` or `channels`. */
export function AlertsPage({ organization, tab }: { organization: Organization; tab: string }) {
  const isAdmin = roleAtLeast(organization.role, 'admin');
  const active = TABS.find((t) => t.id === tab)?.id ?? 'alerts';
  const { firing } = useAlerts();
  return (
    <section aria-labelledby="alerts-title" data-testid="alerts-page">
      <div className="page-head">
        <div>
          <h1 id="alerts-title">Alerts</h1>
          <p className="muted" data-testid="firing-count">
            {firing === null ? '…' : `${firing.length} firing`}
          </p>
        </div>
      </div>
      <nav className="tabs" aria-label="Alert sections">
        {TABS.map((t) => (
          <Link
            key={t.id}
            to={t.path}
            className={t.id === active ? 'tab active' : 'tab'}
            aria-current={t.id === active ? 'page' : undefined}
            data-testid={`alerts-tab-${t.id}`}
          >
            {t.label}
          </Link>
        ))}
      </nav>
      <div className="tab-panel">
        {active === 'alerts' ? <AlertLists /> : null}
        {active === 'rules' ? <RulesPanel organizationId={organization.id} canEdit={isAdmin} /> : null}
        {active === 'channels' ? <ChannelsPanel organizationId={organization.id} canEdit={isAdmin} /> : null}
      </div>
    </section>
  );
}
