/**
 * @module audit-page — the organization's audit events, newest first: names instead of ids, details in
 * words, filters by actor, action, host and time range, and pages (Older / Newer) keyed by event id.
 */
import type { AuditEvent, Organization } from '@hostwire/protocol';
import { useCallback, useEffect, useState } from 'react';
import { api, type AuditQuery } from '../api/endpoints.js';
import { errorMessage } from '../api/http.js';
import { EmptyState, ErrorText, Loading } from '../components/bits.js';
import { formatDateTime } from '../util/format.js';
import {
  AUDIT_ACTIONS,
  describeActor,
  describeDetails,
  describeTarget,
  type AuditNames,
} from './audit-describe.js';

const PAGE = 50;

interface Filters {
  actorId: string;
  action: string;
  targetId: string;
  /** `datetime-local` values (local time), empty when unset. */
  from: string;
  to: string;
}

const NO_FILTERS: Filters = { actorId: '', action: '', targetId: '', from: '', to: '' };

function toQuery(filters: Filters, before: number | undefined): AuditQuery {
  const time = (value: string, end: boolean) => {
    if (!value) return undefined;
    const ms = new Date(value).getTime();
    // The end of a range includes its whole minute.
    return Number.isFinite(ms) ? ms + (end ? 59_999 : 0) : undefined;
  };
  return {
    limit: PAGE,
    before,
    actorId: filters.actorId || undefined,
    action: filters.action || undefined,
    targetId: filters.targetId || undefined,
    from: time(filters.from, false),
    to: time(filters.to, true),
  };
}

/** The audit page of `organization`. */
export function AuditPage({ organization }: { organization: Organization }) {
  const [events, setEvents] = useState<readonly AuditEvent[] | null>(null);
  /** `before` cursors of the pages above the current one (the first page has none). */
  const [cursors, setCursors] = useState<(number | undefined)[]>([]);
  const [before, setBefore] = useState<number | undefined>(undefined);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [names, setNames] = useState<AuditNames>({ users: new Map(), hosts: new Map() });

  const load = useCallback(async () => {
    setBusy(true);
    try {
      setEvents((await api.audit(organization.id, toQuery(filters, before))).events);
      setError(null);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }, [organization.id, filters, before]);

  useEffect(() => {
    void load();
  }, [load]);

  useEffect(() => {
    // Names for ids: members when the caller may list them (admins), hosts for everyone.
    api.members(organization.id).then(
      ({ members }) => setNames((n) => ({ ...n, users: new Map(members.map((m) => [m.userId, m.email])) })),
      () => undefined,
    );
    api.hosts(organization.id).then(
      ({ hosts }) => setNames((n) => ({ ...n, hosts: new Map(hosts.map((h) => [h.id, h.name])) })),
      () => undefined,
    );
  }, [organization.id]);

  const change = (key: keyof Filters, value: string) => {
    setFilters((f) => ({ ...f, [key]: value }));
    setBefore(undefined);
    setCursors([]);
  };
  const older = () => {
    const last = events?.[events.length - 1];
    if (!last) return;
    setCursors((c) => [...c, before]);
    setBefore(last.id);
  };
  const newer = () => {
    setBefore(cursors[cursors.length - 1]);
    setCursors((c) => c.slice(0, -1));
  };
  const filtered = Object.values(filters).some(Boolean);
  const page = cursors.length + 1;

  return (
    <section aria-labelledby="audit-title">
      <div className="page-head">
        <h1 id="audit-title">Audit log</h1>
        <button type="button" className="button small" onClick={() => void load()} disabled={busy}>
          Refresh
        </button>
      </div>
      <form
        className="toolbar audit-filters"
        data-testid="audit-filters"
        onSubmit={(e) => e.preventDefault()}
      >
        <label className="field inline">
          <span>Who</span>
          <select
            value={filters.actorId}
            onChange={(e) => change('actorId', e.target.value)}
            data-testid="audit-actor"
          >
            <option value="">anyone</option>
            {[...names.users].map(([id, email]) => (
              <option key={id} value={id}>
                {email}
              </option>
            ))}
          </select>
        </label>
        <label className="field inline">
          <span>Action</span>
          <select
            value={filters.action}
            onChange={(e) => change('action', e.target.value)}
            data-testid="audit-action"
          >
            <option value="">any</option>
            {Object.entries(AUDIT_ACTIONS).map(([action, label]) => (
              <option key={action} value={action}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label className="field inline">
          <span>Host</span>
          <select
            value={filters.targetId}
            onChange={(e) => change('targetId', e.target.value)}
            data-testid="audit-host"
          >
            <option value="">any</option>
            {[...names.hosts].map(([id, name]) => (
              <option key={id} value={id}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label className="field inline">
          <span>From</span>
          <input
            type="datetime-local"
            value={filters.from}
            onChange={(e) => change('from', e.target.value)}
            data-testid="audit-from"
          />
        </label>
        <label className="field inline">
          <span>To</span>
          <input
            type="datetime-local"
            value={filters.to}
            onChange={(e) => change('to', e.target.value)}
            data-testid="audit-to"
          />
        </label>
        {filtered ? (
          <button
            type="button"
            className="button small ghost"
            onClick={() => {
              setFilters(NO_FILTERS);
              setBefore(undefined);
              setCursors([]);
            }}
          >
            Clear filters
          </button>
        ) : null}
      </form>
      <ErrorText message={error} />
      {events === null ? (
        error ? null : (
          <Loading />
        )
      ) : events.length === 0 ? (
        <EmptyState>{filtered ? 'No event matches these filters.' : 'No audit events yet.'}</EmptyState>
      ) : (
        <table className="table" data-testid="audit-table">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Who</th>
              <th scope="col">Action</th>
              <th scope="col">Target</th>
              <th scope="col">Details</th>
              <th scope="col">Decision</th>
            </tr>
          </thead>
          <tbody>
            {events.map((event) => (
              <tr
                key={event.id}
                data-testid="audit-row"
                data-decision={event.decision}
                data-action={event.action}
              >
                <td data-label="Time">{formatDateTime(event.createdAt)}</td>
                <td data-label="Who" data-testid="audit-who">
                  {describeActor(event, names)}
                </td>
                <td data-label="Action">{AUDIT_ACTIONS[event.action] ?? event.action}</td>
                <td data-label="Target" data-testid="audit-target">
                  {describeTarget(event, names)}
                </td>
                <td data-label="Details" className="muted small details" data-testid="audit-details">
                  {describeDetails(event)}
                  {event.ip ? <span className="audit-ip"> from {event.ip}</span> : null}
                </td>
                <td data-label="Decision">
                  <span className={`badge decision-${event.decision}`}>{event.decision}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {events && (page > 1 || events.length === PAGE) ? (
        <nav className="pager" aria-label="Audit pages">
          <button
            type="button"
            className="button"
            onClick={newer}
            disabled={busy || page === 1}
            data-testid="audit-newer"
          >
            ← Newer
          </button>
          <span className="muted small" data-testid="audit-page">
            Page {page}
          </span>
          <button
            type="button"
            className="button"
            onClick={older}
            disabled={busy || events.length < PAGE}
            data-testid="audit-older"
          >
            Older →
          </button>
        </nav>
      ) : null}
    </section>
  );
}
