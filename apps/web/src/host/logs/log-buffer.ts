/** @module log-buffer — the bounded ring buffer behind the log view: lines and marker rows, oldest dropped. */

/** What a marker row reports. */
export type MarkerKind = 'dropped' | 'interrupted' | 'resumed' | 'ended' | 'error';

/** One row of the log view. `seq` only grows and is the row's stable key. */
export type LogEntry =
  | { seq: number; kind: 'line'; ts: number; text: string }
  | { seq: number; kind: 'marker'; marker: MarkerKind; ts: number; text: string };

/** A row before the buffer numbered it. */
export type NewLogEntry =
  | { kind: 'line'; ts: number; text: string }
  | { kind: 'marker'; marker: MarkerKind; ts: number; text: string };

/** Default number of rows kept in the browser, whatever the volume of the log. */
export const LOG_BUFFER_CAPACITY = 10_000;

/**
 * Fixed-capacity ring buffer: pushing beyond `capacity` overwrites the oldest row and counts it in
 * `discarded`, so memory stays flat on a busy log. Index 0 is the oldest row kept.
 */
export class LogRingBuffer {
  private readonly slots: (LogEntry | undefined)[];
  private head = 0;
  private size = 0;
  private nextSeq = 1;
  private discardedCount = 0;

  constructor(readonly capacity: number = LOG_BUFFER_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
    this.slots = new Array<LogEntry | undefined>(capacity);
  }

  /** Rows currently kept. */
  get length(): number {
    return this.size;
  }

  /** Rows overwritten since the last `clear()`. */
  get discarded(): number {
    return this.discardedCount;
  }

  /** Appends one row, overwriting the oldest when full. */
  push(entry: NewLogEntry): LogEntry {
    const numbered: LogEntry = { ...entry, seq: this.nextSeq++ };
    const index = (this.head + this.size) % this.capacity;
    this.slots[index] = numbered;
    if (this.size < this.capacity) this.size++;
    else {
      this.head = (this.head + 1) % this.capacity;
      this.discardedCount++;
    }
    return numbered;
  }

  /** The row at `index` (0 = oldest kept), or undefined outside the buffer. */
  at(index: number): LogEntry | undefined {
    if (index < 0 || index >= this.size) return undefined;
    return this.slots[(this.head + index) % this.capacity];
  }

  /** Every row kept, oldest first. */
  toArray(): LogEntry[] {
    const out: LogEntry[] = [];
    for (let i = 0; i < this.size; i++) {
      const entry = this.at(i);
      if (entry) out.push(entry);
    }
    return out;
  }

  /** Forgets every row and the discarded count (sequence numbers keep growing). */
  clear(): void {
    this.slots.fill(undefined);
    this.head = 0;
    this.size = 0;
    this.discardedCount = 0;
  }
}
