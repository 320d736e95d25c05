/** @module action-history — the past runs of a host's actions; a row opens its stored output. */
import type { ActionRecord } from '@hostwire/protocol';
import { EmptyState } from '../../components/bits.js';
import { formatDateTime, formatDuration } from '../../util/format.js';

/** `word=world, count=3`, or a dash without parameters. */
function formatParams(params: Readonly<Record<string, unknown>>): string {
  const entries = Object.entries(params);
  if (entries.length === 0) return '–';
  return entries.map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ');
}

/** Props of <ActionHistory>; `userEmails` maps user ids to emails when known. */
export interface ActionHistoryProps {
  actions: readonly ActionRecord[];
  userEmails: ReadonlyMap<string, string>;
  selectedId: string | null;
  onSelect: (record: ActionRecord) => void;
}

/** The history table. */
export function ActionHistory({ actions, userEmails, selectedId, onSelect }: ActionHistoryProps) {
  if (actions.length === 0) return <EmptyState>No action has run on this host yet.</EmptyState>;
  return (
    <table className="table" data-testid="action-history">
      <thead>
        <tr>
          <th scope="col">Action</th>
          <th scope="col">Parameters</th>
          <th scope="col">Status</th>
          <th scope="col" className="num">
            Exit
          </th>
          <th scope="col" className="num">
            Duration
          </th>
          <th scope="col">By</th>
          <th scope="col">When</th>
        </tr>
      </thead>
      <tbody>
        {actions.map((record) => (
          <tr
            key={record.id}
            className={record.id === selectedId ? 'selected' : undefined}
            data-testid={`action-history-row-${record.id}`}
            data-status={record.status}
          >
            <td data-label="Action">
              <button type="button" className="link-button" onClick={() => onSelect(record)}>
                {record.action}
              </button>
            </td>
            <td data-label="Parameters" className="mono params-cell" data-testid="history-params">
              {formatParams(record.params)}
            </td>
            <td data-label="Status">
              <span className={`badge status-${record.status}`}>{record.status}</span>
            </td>
            <td data-label="Exit" className="num" data-testid="history-exit">
              {record.exitCode ?? '–'}
            </td>
            <td data-label="Duration" className="num" data-testid="history-duration">
              {record.startedAt !== null && record.finishedAt !== null
                ? formatDuration(record.finishedAt - record.startedAt)
                : record.startedAt !== null
                  ? 'running'
                  : '–'}
            </td>
            <td data-label="By">
              {record.userId
                ? (userEmails.get(record.userId) ??
                  (record.userId.startsWith('apitoken_') ? 'an API token' : record.userId))
                : 'system'}
            </td>
            <td data-label="When">{formatDateTime(record.createdAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
