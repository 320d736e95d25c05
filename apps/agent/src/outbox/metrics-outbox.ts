/** @module outbox/metrics-outbox — the on-disk queue of samples waiting for the server's ack. */
import type { MetricsSample } from '@hostwire/protocol';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import type { StateDatabase } from './database.js';

/** A stored sample: its seq and the exact JSON text that is sent. */
export interface OutboxRow {
  seq: number;
  body: string;
}

export interface OutboxBounds {
  /** Keep at most this many samples (oldest dropped first). */
  maxSamples: number;
  /** Drop samples older than this (ms). */
  maxAgeMs: number;
}

const DROP_LOG_INTERVAL_MS = 60_000;

/**
 * Samples are written here before they are sent and removed only when the server acknowledges their
 * seq. The seq counter is persisted, so it keeps growing across restarts even when the queue is empty.
 */
export class MetricsOutbox {
  private readonly db: StateDatabase;
  private readonly bounds: OutboxBounds;
  private readonly log: Logger;
  private size: number;
  private last: number;
  private droppedUnlogged = 0;
  private lastDropLog = 0;
  private readonly insert;
  private readonly saveSeq;
  private readonly selectAfter;
  private readonly deleteSeq;
  private readonly deleteOldest;
  private readonly deleteOlderThan;

  constructor(db: StateDatabase, bounds: OutboxBounds, log: Logger = silentLogger) {
    this.db = db;
    this.bounds = bounds;
    this.log = log;
    this.insert = db.prepare<[number, number, string]>(
      'INSERT INTO samples (seq, ts, body) VALUES (?, ?, ?)',
    );
    this.saveSeq = db.prepare<[number]>(
      "INSERT INTO meta (key, value) VALUES ('last_seq', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    );
    this.selectAfter = db.prepare<[number, number], OutboxRow>(
      'SELECT seq, body FROM samples WHERE seq > ? ORDER BY seq LIMIT ?',
    );
    this.deleteSeq = db.prepare<[number]>('DELETE FROM samples WHERE seq = ?');
    this.deleteOldest = db.prepare<[number]>(
      'DELETE FROM samples WHERE seq IN (SELECT seq FROM samples ORDER BY seq LIMIT ?)',
    );
    this.deleteOlderThan = db.prepare<[number]>('DELETE FROM samples WHERE ts < ?');
    const meta = db.prepare<[], { value: number }>("SELECT value FROM meta WHERE key = 'last_seq'").get();
    const maxRow = db.prepare<[], { m: number | null }>('SELECT MAX(seq) AS m FROM samples').get();
    this.last = Math.max(meta?.value ?? 0, maxRow?.m ?? 0);
    this.size = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM samples').get()?.n ?? 0;
  }

  /** Number of samples waiting for an ack. */
  get pending(): number {
    return this.size;
  }

  /** The highest seq ever assigned (0 before the first sample). */
  get lastSeq(): number {
    return this.last;
  }

  /**
   * Assigns the next seq, stores the sample built by `build(seq)` and enforces the bounds, all in one
   * transaction. Returns the stored row.
   */
  append(build: (seq: number) => MetricsSample): OutboxRow {
    const row = this.db.transaction((): OutboxRow => {
      const seq = this.last + 1;
      const sample = build(seq);
      const body = JSON.stringify(sample);
      this.insert.run(seq, sample.ts, body);
      this.saveSeq.run(seq);
      this.last = seq;
      this.size += 1;
      this.enforceBounds(sample.ts);
      return { seq, body };
    })();
    this.logDrops(Date.now());
    return row;
  }

  /** Up to `limit` samples with seq greater than `afterSeq`, oldest first. */
  readAfter(afterSeq: number, limit: number): OutboxRow[] {
    return this.selectAfter.all(afterSeq, limit);
  }

  /** Removes acknowledged seqs; returns how many were still pending. */
  ack(seqs: readonly number[]): number {
    const removed = this.db.transaction((list: readonly number[]) => {
      let n = 0;
      for (const seq of list) n += this.deleteSeq.run(seq).changes;
      return n;
    })(seqs);
    this.size -= removed;
    return removed;
  }

  private enforceBounds(now: number): void {
    let dropped = this.deleteOlderThan.run(now - this.bounds.maxAgeMs).changes;
    this.size -= dropped;
    const excess = this.size - this.bounds.maxSamples;
    if (excess > 0) {
      const n = this.deleteOldest.run(excess).changes;
      this.size -= n;
      dropped += n;
    }
    this.droppedUnlogged += dropped;
  }

  private logDrops(now: number): void {
    if (this.droppedUnlogged === 0 || now - this.lastDropLog < DROP_LOG_INTERVAL_MS) return;
    this.log.warn(
      `metrics outbox full (max ${this.bounds.maxSamples} samples / ${this.bounds.maxAgeMs} ms): dropped ${this.droppedUnlogged} oldest samples`,
    );
    this.droppedUnlogged = 0;
    this.lastDropLog = now;
  }
}
