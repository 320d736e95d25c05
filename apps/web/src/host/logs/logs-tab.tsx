/** @module logs-tab — tail a log source: source picker, filter, follow/pause, clear; bounded and frame-batched. */
import { compileLogFilter, type Host, type LogFilter } from '@hostwire/protocol';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { EmptyState, ErrorText } from '../../components/bits.js';
import type { LogStreamEvent } from '../../realtime/log-stream.js';
import { useRealtime } from '../../realtime/realtime-context.js';
import { LogRingBuffer, type NewLogEntry } from './log-buffer.js';
import { LogList } from './log-list.js';

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
  const sources = host.agent?.logSources ?? [];
  const [source, setSource] = useState(sources[0]?.name ?? '');
  const [pattern, setPattern] = useState('');
  const [regex, setRegex] = useState(false);
  const [ignoreCase, setIgnoreCase] = useState(true);
  const [filter, setFilter] = useState<LogFilter | undefined>(undefined);
  const [filterError, setFilterError] = useState<string | null>(null);
  const [follow, setFollow] = useState(true);
  const [version, setVersion] = useState(0);
  const [buffer] = useState(() => new LogRingBuffer());
  const frame = useRef<number | null>(null);

  useEffect(() => {
    if (!source && sources[0]) setSource(sources[0].name);
  }, [source, sources]);

  useEffect(() => {
    if (!source) return;
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
  }, [client, host.id, source, filter, buffer]);

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
      setFilterError(`Invalid regular expression: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    setFilterError(null);
    setFilter(next);
  };

  if (sources.length === 0) {
    return <EmptyState>This host announces no log sources (the agent configures them).</EmptyState>;
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
        {buffer.length.toLocaleString()} lines{filter ? ` matching “${filter.pattern}”` : ''}
        {buffer.discarded > 0 ? (
          <span data-testid="log-discarded">
            {' '}
            · {buffer.discarded.toLocaleString()} older lines discarded
          </span>
        ) : null}
        {follow ? '' : ' · paused (still receiving)'}
      </p>
      <LogList buffer={buffer} version={version} follow={follow} />
    </div>
  );
}
