/** @module audit-page — the organization's audit events, newest first, paged with `before`. */
import type { AuditEvent, Organization } from '@hostwire/protocol';
import { useCallback, useEffect, useState } from 'react';
import { api } from '../api/endpoints.js';
import { errorMessage } from '../api/http.js';
import { EmptyState, ErrorText, Loading } from '../components/bits.js';
import { formatDateTime } from '../util/format.js';

const PAGE = 50;

function describeActor(event: AuditEvent, emails: ReadonlyMap<string, string>): string {
  if (!event.actorId) return event.actorType;
  return `${event.actorType} ${emails.get(event.actorId) ?? event.actorId}`;
}

function describeDetails(details: AuditEvent['details']): string {
  if (!details || Object.keys(details).length === 0) return '';
  const text = JSON.stringify(details);
  return text.length > 160 ? `${text.slice(0, 157)}…` : text;
}

/** The audit page of `organization`. */
export function AuditPage({ organization }: { organization: Organization }) {
  const [events, setEvents] = useState<readonly AuditEvent[] | null>(null);
  const [more, setMore] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [emails, setEmails] = useState<ReadonlyMap<string, string>>(new Map());

  const loadPage = useCallback(
    async (before?: number) => {
      setBusy(true);
      try {
        const page = (await api.audit(organization.id, PAGE, before)).events;
        setEvents((current) => (before === undefined ? page : [...(current ?? []), ...page]));
        setMore(page.length === PAGE);
        setError(null);
      } catch (e) {
        setError(errorMessage(e));
      } finally {
        setBusy(false);
      }
    },
    [organization.id],
  );

  useEffect(() => {
    void loadPage();
    // Emails for user ids when the caller may list members; ids are shown otherwise.
    api.members(organization.id).then(
      ({ members }) => setEmails(new Map(members.map((m) => [m.userId, m.email]))),
      () => undefined,
    );
  }, [loadPage, organization.id]);

  const last = events?.[events.length - 1];
  return (
    <section aria-labelledby="audit-title">
      <div className="page-head">
        <h1 id="audit-title">Audit log</h1>
        <button type="button" className="button small" onClick={() => void loadPage()} disabled={busy}>
          Refresh
        </button>
      </div>
      <ErrorText message={error} />
      {events === null ? (
        error ? null : (
          <Loading />
        )
      ) : events.length === 0 ? (
        <EmptyState>No audit events yet.</EmptyState>
      ) : (
        <table className="table" data-testid="audit-table">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Decision</th>
              <th scope="col">Actor</th>
              <th scope="col">Action</th>
              <th scope="col">Target</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {events.map((event) => (
              <tr key={event.id} data-testid="audit-row" data-decision={event.decision}>
                <td data-label="Time">{formatDateTime(event.createdAt)}</td>
                <td data-label="Decision">
                  <span className={`badge decision-${event.decision}`}>{event.decision}</span>
                </td>
                <td data-label="Actor">{describeActor(event, emails)}</td>
                <td data-label="Action" className="mono">
                  {event.action}
                </td>
                <td data-label="Target">
                  {event.targetType ? `${event.targetType} ${event.targetId ?? ''}` : '–'}
                </td>
                <td data-label="Details" className="muted small details">
                  {describeDetails(event.details)}
                  {event.ip ? ` ${event.ip}` : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {more && last ? (
        <div className="row-center">
          <button
            type="button"
            className="button"
            data-testid="audit-load-more"
            disabled={busy}
            onClick={() => void loadPage(last.id)}
          >
            {busy ? 'Loading…' : 'Load more'}
          </button>
        </div>
      ) : null}
    </section>
  );
}
