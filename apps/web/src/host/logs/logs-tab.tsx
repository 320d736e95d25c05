/** @module logs-tab — tail a log source: source picker, filter, follow/pause, clear; bounded and frame-batched. */
import { compileLogFilter, type Host, type LogFilter, type LogSourceDescriptor } from '@hostwire/protocol';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { EmptyState, ErrorText } from '../../components/bits.js';
import { useSearchParam } from '../../router/router.js';
import { readStored, writeStored } from '../../util/hooks.js';
import type { LogStreamEvent } from '../../realtime/log-stream.js';
import { useRealtime } from '../../realtime/realtime-context.js';
import { LogRingBuffer, type NewLogEntry } from './log-buffer.js';
import { LogList } from './log-list.js';
import { countLines, regexErrorMessage } from './log-text.js';

const storedSourceKey = (hostId: string) => `hostwire:log-source:${hostId}`;

/** What an empty view says, by the kind of source. */
function emptyText(source: LogSourceDescriptor | undefined, filtered: boolean): string {
  if (filtered) return 'No line matches the filter yet.';
  switch (source?.kind) {
    case 'journald':
      return 'The journal has no entries for this unit yet.';
    case 'docker':
      return 'The container has printed nothing yet.';
    default:
      return 'No lines yet. New lines appear here as they are written.';
  }
}

function toEntries(event: LogStreamEvent): NewLogEntry[] {
  const ts = Date.now();
  switch (event.type) {
    case 'lines':
      return event.lines.map((l) => ({ kind: 'line', ts: l.ts, text: l.line }));
    case 'dropped':
      return [{ kind: 'marker', marker: 'dropped', ts, text: `${event.count} lines dropped` }];
    case 'interrupted':
      return [{ kind: 'marker', marker: 'interrupted', ts, text: `interrupted: ${event.reason}` }];
    case 'resumed':
      return [{ kind: 'marker', marker: 'resumed', ts, text: 'resumed' }];
    case 'ended':
      return [{ kind: 'marker', marker: 'ended', ts, text: `ended: ${event.reason}` }];
    case 'error':
      return [{ kind: 'marker', marker: 'error', ts, text: event.message }];
  }
}

/** The logs tab of a host. */
export function LogsTab({ host }: { host: Host }) {
  const client = useRealtime();
  const allSources = host.agent?.logSources ?? [];
  // Offer only sources that exist on the host (older agents do not say: offered).
  const sources = allSources.filter((s) => s.available !== false);
  const missing = allSources.filter((s) => s.available === false);
  // `?source=` (a container's "Log" link) wins over the source chosen last time.
  const linked = useSearchParam('source');
  const [source, setSourceState] = useState(() => {
    const stored = linked ?? readStored(storedSourceKey(host.id));
    return sources.some((s) => s.name === stored) ? (stored ?? '') : (sources[0]?.name ?? '');
  });
  const setSource = (name: string) => {
    setSourceState(name);
    writeStored(storedSourceKey(host.id), name);
  };
  const [pattern, setPattern] = useState('');
  const [regex, setRegex] = useState(false);
  const [ignoreCase, setIgnoreCase] = useState(true);
  const [filter, setFilter] = useState<LogFilter | undefined>(undefined);
  const [filterError, setFilterError] = useState<string | null>(null);
  const [follow, setFollow] = useState(true);
  const [version, setVersion] = useState(0);
  const [buffer] = useState(() => new LogRingBuffer());
  const frame = useRef<number | null>(null);

  const firstSource = sources[0]?.name;
  const sourceExists = sources.some((s) => s.name === source);
  useEffect(() => {
    if (!sourceExists && firstSource) setSourceState(firstSource);
  }, [sourceExists, firstSource]);

  // Ask the agent which sources exist now; the answer updates the host (host.agent) and this list.
  const online = host.status === 'online';
  useEffect(() => {
    if (online) client.request({ type: 'logs.check', hostId: host.id }).catch(() => undefined);
  }, [client, host.id, online]);

  useEffect(() => {
    if (!source || !sourceExists) return;
    buffer.clear();
    setVersion((v) => v + 1);
    // Rows go into the ring at once; React re-renders at most once per animation frame.
    const flush = () => {
      frame.current = null;
      setVersion((v) => v + 1);
    };
    const stream = client.openLogStream({ hostId: host.id, source, filter, backfill: 200 }, (event) => {
      for (const entry of toEntries(event)) buffer.push(entry);
      frame.current ??= requestAnimationFrame(flush);
    });
    return () => {
      stream.close();
      if (frame.current !== null) cancelAnimationFrame(frame.current);
      frame.current = null;
    };
  }, [client, host.id, source, sourceExists, filter, buffer]);

  const applyFilter = (event: FormEvent) => {
    event.preventDefault();
    if (!pattern) {
      setFilter(undefined);
      setFilterError(null);
      return;
    }
    const next: LogFilter = { pattern, regex, ignoreCase };
    try {
      compileLogFilter(next);
    } catch (e) {
      setFilterError(regexErrorMessage(e));
      return;
    }
    setFilterError(null);
    setFilter(next);
  };

  const missingNote =
    missing.length > 0 ? (
      <ul className="muted small log-missing" data-testid="log-sources-missing">
        {missing.map((s) => (
          <li key={s.name}>
            <strong>{s.name}</strong> is not offered:{' '}
            {s.unavailableReason ?? 'it does not exist on this host'}
          </li>
        ))}
      </ul>
    ) : null;

  if (sources.length === 0) {
    return (
      <>
        <EmptyState>
          {allSources.length === 0
            ? 'This host announces no log sources (the agent configures them).'
            : 'None of the log sources configured on this host exists there.'}
        </EmptyState>
        {missingNote}
      </>
    );
  }

  return (
    <div className="logs">
      <form className="toolbar wrap" onSubmit={applyFilter} data-testid="log-filter-form">
        <label className="field inline">
          <span>Source</span>
          <select value={source} data-testid="log-source" onChange={(e) => setSource(e.target.value)}>
            {sources.map((s) => (
              <option key={s.name} value={s.name} title={s.description}>
                {s.name} ({s.kind})
              </option>
            ))}
          </select>
        </label>
        <label className="field inline grow">
          <span>Filter</span>
          <input
            type="search"
            value={pattern}
            maxLength={500}
            placeholder={regex ? 'regular expression' : 'text'}
            data-testid="log-filter"
            onChange={(e) => setPattern(e.target.value)}
          />
        </label>
        <label className="check">
          <input type="checkbox" checked={regex} onChange={(e) => setRegex(e.target.checked)} /> Regex
        </label>
        <label className="check">
          <input type="checkbox" checked={ignoreCase} onChange={(e) => setIgnoreCase(e.target.checked)} />{' '}
          Ignore case
        </label>
        <button type="submit" className="button small">
          Apply
        </button>
        <span className="spacer" />
        <button
          type="button"
          className="button small"
          aria-pressed={!follow}
          data-testid="log-follow"
          onClick={() => setFollow((f) => !f)}
        >
          {follow ? 'Pause' : 'Follow'}
        </button>
        <button
          type="button"
          className="button small ghost"
          data-testid="log-clear"
          onClick={() => {
            buffer.clear();
            setVersion((v) => v + 1);
          }}
        >
          Clear
        </button>
      </form>
      <ErrorText message={filterError} />
      <p className="muted small log-status" data-testid="log-status">
        {countLines(buffer.length)}
        {filter ? ` matching “${filter.pattern}”` : ''}
        {buffer.discarded > 0 ? (
          <span data-testid="log-discarded">
            {' '}
            · {buffer.discarded.toLocaleString()} older lines discarded
          </span>
        ) : null}
        {follow ? '' : ' · paused (still receiving)'}
      </p>
      {buffer.length === 0 ? (
        <p className="empty log-empty" data-testid="log-empty">
          {emptyText(
            sources.find((s) => s.name === source),
            filter !== undefined,
          )}
        </p>
      ) : (
        <LogList buffer={buffer} version={version} follow={follow} filter={filter} />
      )}
      {missingNote}
    </div>
  );
}
