/** @module log-list — the virtualized rows of the log view: lines and marker rows, auto-scrolled when following. */
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef } from 'react';
import { formatTime } from '../../util/format.js';
import type { LogFilter } from '@hostwire/protocol';
import type { LogRingBuffer } from './log-buffer.js';
import { lineLevel, lineTimestamp, matchParts } from './log-text.js';

/** Props of <LogList>; `version` changes whenever the buffer did. */
export interface LogListProps {
  buffer: LogRingBuffer;
  version: number;
  follow: boolean;
  /** The active filter: its matches are highlighted. */
  filter: LogFilter | undefined;
}

/** Renders only the visible rows of up to `buffer.capacity` rows. */
export function LogList({ buffer, version, follow, filter }: LogListProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const count = buffer.length;
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scroller.current,
    estimateSize: () => 20,
    overscan: 30,
    // Keys by sequence number: indexes shift as the ring drops old rows, measurements must not.
    getItemKey: (index) => buffer.at(index)?.seq ?? -index,
  });

  useEffect(() => {
    if (follow && count > 0) virtualizer.scrollToIndex(count - 1, { align: 'end' });
  }, [follow, count, version, virtualizer]);

  return (
    <div ref={scroller} className="log-scroller" data-testid="log-list" tabIndex={0} aria-label="Log lines">
      <div className="log-canvas" style={{ height: virtualizer.getTotalSize() }}>
        {virtualizer.getVirtualItems().map((item) => {
          const entry = buffer.at(item.index);
          if (!entry) return null;
          const style = { transform: `translateY(${item.start}px)` };
          if (entry.kind === 'marker') {
            return (
              <div
                key={item.key}
                ref={virtualizer.measureElement}
                data-index={item.index}
                className={`log-row log-marker marker-${entry.marker}`}
                data-testid="log-marker"
                data-kind={entry.marker}
                style={style}
              >
                <span className="log-ts">{formatTime(entry.ts)}</span>
                <span>— {entry.text} —</span>
              </div>
            );
          }
          const level = lineLevel(entry.text);
          return (
            <div
              key={item.key}
              ref={virtualizer.measureElement}
              data-index={item.index}
              className={level ? `log-row log-${level}` : 'log-row'}
              data-testid="log-line"
              data-level={level ?? undefined}
              style={style}
            >
              <span className="log-ts">{formatTime(lineTimestamp(entry.text, entry.ts))}</span>
              <span className="log-text">
                {matchParts(entry.text, filter).map((part, i) =>
                  part.match ? <mark key={i}>{part.text}</mark> : <span key={i}>{part.text}</span>,
                )}
              </span>
            </div>
          );
        })}
      </div>
    </div>
  );
}
