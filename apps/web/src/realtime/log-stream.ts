/** @module log-stream — one log tail as the UI sees it, surviving reconnects under new stream ids. */
import type { LogFilter, LogLine } from '@hostwire/protocol';

/** What a view asks to tail. */
export interface LogStreamParams {
  hostId: string;
  source: string;
  filter?: LogFilter;
  /** Lines of history to send first (default 100). */
  backfill?: number;
}

/** Everything a log view is told about its tail, whatever the server-side stream id of the moment. */
export type LogStreamEvent =
  | { type: 'lines'; lines: LogLine[] }
  | { type: 'dropped'; count: number }
  | { type: 'interrupted'; reason: string }
  | { type: 'resumed' }
  | { type: 'ended'; reason: string }
  | { type: 'error'; code: string; message: string };

/** Receives the events of one tail. */
export type LogStreamListener = (event: LogStreamEvent) => void;

/** Handle returned to a view; `close` stops the tail. */
export interface LogStreamHandle {
  close(): void;
}

/** Line texts remembered per tail to recognise a resumed tail's backfill. */
const RECENT_LINES = 1000;

/**
 * Registry entry of one tail. After a reconnect it is re-subscribed with the same backfill; the backfill
 * repeats lines the view already has, so its leading lines that line up with the last lines seen are
 * skipped. Texts are compared, not timestamps: a file source stamps lines when it reads them.
 */
export class LogStreamEntry {
  streamId: string | null = null;
  closed = false;
  /** A `logs.subscribe` for this tail is in flight. */
  subscribing = false;
  /** Set while the host's agent is offline; the tail is retried when it returns. */
  retryTimer: ReturnType<typeof setTimeout> | null = null;
  private interrupted = false;
  private recent: string[] = [];
  /** The lines seen before the interruption, while a resumed backfill is matched against them. */
  private seen: string[] | null = null;
  /** Where in `seen` the next resumed line is expected; null while not aligned yet. */
  private cursor: number | null = null;

  constructor(
    readonly params: LogStreamParams,
    private readonly listener: LogStreamListener,
  ) {}

  /** The server acknowledged a (re)subscription under `streamId`. */
  attached(streamId: string): void {
    this.streamId = streamId;
    if (this.interrupted) {
      this.interrupted = false;
      this.seen = this.recent.length > 0 ? [...this.recent] : null;
      this.cursor = null;
      this.listener({ type: 'resumed' });
    }
  }

  /** The connection went away; the tail resumes after the next reconnect. */
  detached(reason: string): void {
    this.streamId = null;
    if (!this.interrupted) {
      this.interrupted = true;
      this.listener({ type: 'interrupted', reason });
    }
  }

  /** Lines arrived for this tail. */
  lines(lines: LogLine[]): void {
    const fresh = lines.slice(this.skipRepeated(lines));
    for (const line of fresh) this.recent.push(line.line);
    if (this.recent.length > RECENT_LINES) this.recent.splice(0, this.recent.length - RECENT_LINES);
    if (fresh.length > 0) this.listener({ type: 'lines', lines: fresh });
  }

  /** Passes any other event through. */
  emit(event: LogStreamEvent): void {
    this.listener(event);
  }

  /** How many leading lines of `lines` repeat what was seen before the interruption. */
  private skipRepeated(lines: LogLine[]): number {
    const seen = this.seen;
    if (!seen) return 0;
    let cursor = this.cursor ?? this.align(seen, lines);
    let skip = 0;
    while (
      cursor !== null &&
      skip < lines.length &&
      cursor < seen.length &&
      lines[skip]?.line === seen[cursor]
    ) {
      skip++;
      cursor++;
    }
    // Still inside the repeated part only when the whole batch matched and `seen` is not used up.
    const more = cursor !== null && skip === lines.length && cursor < seen.length;
    this.cursor = more ? cursor : null;
    if (!more) this.seen = null;
    return skip;
  }

  /** The first position in `seen` from which `lines` repeat it (until either ends), or null. */
  private align(seen: string[], lines: LogLine[]): number | null {
    for (let start = 0; start < seen.length; start++) {
      const length = Math.min(lines.length, seen.length - start);
      let i = 0;
      while (i < length && lines[i]?.line === seen[start + i]) i++;
      if (i === length) return start;
    }
    return null;
  }
}
