/**
 * @module outbox/metrics-outbox — the on-disk queue of samples waiting for the server's ack: an
 * append-only, segmented log of plain files (see docs/agent.md, "State on disk").
 *
 * Layout of `<stateDir>/outbox/`:
 * - `<firstSeq>.seg`: records `[seq f64][ts f64][sample JSON]`, appended in seq order. A new segment
 *   starts past SEGMENT_BYTES; a segment whose samples were all acknowledged (or dropped by the bounds)
 *   is deleted, except the newest, whose name keeps the seq counter when the queue is empty.
 * - `acks.log`: records of acknowledged seqs (f64 each), so an ack survives a restart; rewritten with
 *   only the seqs of the remaining segments when it grows.
 *
 * fsync policy: none per sample. Each record reaches the kernel with one write(2) before `append`
 * returns, so a crash or `kill -9` of the agent loses nothing; an OS crash or power loss can lose the
 * last seconds, and the checksum drops the torn record on the next start. This is the guarantee SQLite's
 * WAL mode with `synchronous = NORMAL` gave the previous release.
 *
 * When a write fails (disk full, I/O error) the seq is not lost: the sample stays in memory (bounded)
 * and is sent from there; writing resumes with the next sample once the disk accepts it again.
 */
import { closeSync, openSync, readdirSync, readSync, rmSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import type { MetricsSample } from '@hostwire/protocol';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import type { StoredRecord } from './record-file.js';
import {
  RecordAppender,
  ensureDir,
  isStorageError,
  encodeRecord,
  loadRecordFile,
  recordSize,
  writeFileAtomic,
} from './record-file.js';

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

export interface OutboxOptions {
  log?: Logger;
  /** Start a new segment file past this many bytes (default 1 MiB). */
  segmentBytes?: number;
  /** Samples kept in memory while the disk refuses writes (default 1000). */
  memorySamples?: number;
}

const DROP_LOG_INTERVAL_MS = 60_000;
const SEQ_BYTES = 16;
const ACKS_FILE = 'acks.log';
const ACKS_REWRITE_THRESHOLD = 4096;

interface Segment {
  firstSeq: number;
  file: string;
  /** Samples of this segment still waiting (not acked, not dropped). */
  live: number;
  /** Acknowledged seqs of this segment, for rewriting `acks.log`. */
  acked: number[];
  /** A descriptor open for reading, while the sender reads from this segment. */
  readFd?: number;
}

interface Entry {
  seq: number;
  ts: number;
  /** The segment holding it, or undefined for a sample kept in memory only. */
  segment: Segment | undefined;
  offset: number;
  /** Payload bytes of its record. */
  length: number;
  body: string | undefined;
}

const segmentName = (firstSeq: number): string => `${String(firstSeq).padStart(16, '0')}.seg`;

/**
 * Samples are written here before they are sent and removed only when the server acknowledges their
 * seq. The seq counter survives restarts even when the queue is empty (the newest segment's name).
 */
export class MetricsOutbox {
  private readonly dir: string;
  private readonly bounds: OutboxBounds;
  private readonly log: Logger;
  private readonly segmentBytes: number;
  private readonly memorySamples: number;
  private readonly segments: Segment[] = [];
  private entries: Entry[] = [];
  private active: { segment: Segment; appender: RecordAppender } | undefined;
  private acks: RecordAppender | undefined;
  private acksWritten = 0;
  private inMemory = 0;
  private last = 0;
  private failure: string | null = null;
  private droppedUnlogged = 0;
  private droppedTotal = 0;
  private lastDropLog = 0;

  constructor(dir: string, bounds: OutboxBounds, options: OutboxOptions = {}) {
    this.dir = dir;
    this.bounds = bounds;
    this.log = options.log ?? silentLogger;
    this.segmentBytes = options.segmentBytes ?? 1024 * 1024;
    this.memorySamples = options.memorySamples ?? 1000;
    ensureDir(dir);
    this.load();
  }

  /** Number of samples waiting for an ack (on disk and in memory). */
  get pending(): number {
    return this.entries.length;
  }

  /** The highest seq ever assigned (0 before the first sample). */
  get lastSeq(): number {
    return this.last;
  }

  /** Why samples are currently kept in memory only (a write error), or null while the disk accepts them. */
  get storageError(): string | null {
    return this.failure;
  }

  /** Samples dropped by the bounds (or the memory cap) since the agent started. */
  get dropped(): number {
    return this.droppedTotal;
  }

  /**
   * Assigns the next seq, stores the sample built by `build(seq)` and enforces the bounds. If the disk
   * refuses the write the sample is kept in memory with the same seq (and the failure reported once).
   */
  append(build: (seq: number) => MetricsSample): OutboxRow {
    const seq = this.last + 1;
    const sample = build(seq);
    const body = JSON.stringify(sample);
    const entry: Entry = { seq, ts: sample.ts, segment: undefined, offset: 0, length: 0, body };
    try {
      const active = this.activeSegment(seq);
      const payload = Buffer.allocUnsafe(SEQ_BYTES + Buffer.byteLength(body));
      payload.writeDoubleLE(seq, 0);
      payload.writeDoubleLE(sample.ts, 8);
      payload.write(body, SEQ_BYTES);
      entry.offset = active.appender.append(payload);
      entry.length = payload.length;
      entry.segment = active.segment;
      entry.body = undefined;
      active.segment.live += 1;
      if (this.failure !== null) {
        this.log.info('the state dir accepts writes again: buffering samples on disk');
        this.failure = null;
      }
    } catch (error) {
      if (!isStorageError(error)) throw error;
      if (this.failure === null) {
        this.failure = `cannot write the outbox (${(error as NodeJS.ErrnoException).code}): sending live samples from memory, buffering at most ${this.memorySamples} while offline`;
        this.log.warn(this.failure);
      }
      this.inMemory += 1;
    }
    this.last = seq;
    this.entries.push(entry);
    this.enforceBounds(sample.ts);
    this.logDrops(Date.now());
    return { seq, body };
  }

  /** Up to `limit` samples with seq greater than `afterSeq`, oldest first. */
  readAfter(afterSeq: number, limit: number): OutboxRow[] {
    const rows: OutboxRow[] = [];
    for (let i = this.indexAfter(afterSeq); i < this.entries.length && rows.length < limit; i++) {
      const entry = this.entries[i];
      if (!entry) break;
      rows.push({ seq: entry.seq, body: entry.body ?? this.readBody(entry) });
    }
    return rows;
  }

  private readBody(entry: Entry): string {
    const segment = entry.segment;
    if (!segment) return '';
    segment.readFd ??= openSync(segment.file, 'r');
    const size = recordSize(entry.length);
    const buffer = Buffer.allocUnsafe(size);
    let read = 0;
    while (read < size) {
      const n = readSync(segment.readFd, buffer, read, size - read, entry.offset + read);
      if (n <= 0) break;
      read += n;
    }
    return buffer.toString('utf8', recordSize(SEQ_BYTES), read);
  }

  /** Removes acknowledged seqs; returns how many were still pending. */
  ack(seqs: readonly number[]): number {
    const onDisk: number[] = [];
    let removed = 0;
    for (const seq of seqs) {
      const entry = this.remove(seq);
      if (!entry) continue;
      removed += 1;
      if (entry.segment) {
        entry.segment.acked.push(seq);
        onDisk.push(seq);
      }
    }
    if (onDisk.length > 0) this.journalAcks(onDisk);
    this.collect();
    return removed;
  }

  /** Forgets every pending sample (the host was enrolled again); the seq counter keeps counting. */
  clear(): number {
    const n = this.entries.length;
    this.closeFiles();
    rmSync(this.dir, { recursive: true, force: true });
    ensureDir(this.dir);
    this.entries = [];
    this.segments.length = 0;
    this.inMemory = 0;
    this.acksWritten = 0;
    this.activeSegment(this.last + 1);
    return n;
  }

  /** Closes the open files. */
  close(): void {
    this.closeFiles();
  }

  private closeFiles(): void {
    for (const segment of this.segments) closeReader(segment);
    this.active?.appender.close();
    this.active = undefined;
    this.acks?.close();
    this.acks = undefined;
  }

  private load(): void {
    const names = readdirSync(this.dir)
      .filter((name) => /^\d{1,20}\.seg$/.test(name))
      .sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10));
    const bySeq = new Map<number, Entry>();
    let torn = 0;
    for (const name of names) {
      const segment: Segment = {
        firstSeq: Number.parseInt(name, 10),
        file: path.join(this.dir, name),
        live: 0,
        acked: [],
      };
      const { records, droppedBytes } = loadRecordFile(segment.file);
      if (droppedBytes > 0) torn += 1;
      this.last = Math.max(this.last, segment.firstSeq - 1);
      for (const record of records) {
        if (record.payload.length < SEQ_BYTES) continue;
        const entry = toEntry(record, segment);
        if (bySeq.has(entry.seq)) continue;
        bySeq.set(entry.seq, entry);
        this.last = Math.max(this.last, entry.seq);
        segment.live += 1;
      }
      this.segments.push(segment);
    }
    if (torn > 0) this.log.warn(`outbox: dropped the torn last record of ${torn} segment(s)`);
    this.entries = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
    const ackFile = path.join(this.dir, ACKS_FILE);
    const acked = loadRecordFile(ackFile);
    for (const record of acked.records) {
      for (let at = 0; at + 8 <= record.payload.length; at += 8) {
        const seq = record.payload.readDoubleLE(at);
        const entry = this.remove(seq);
        if (entry?.segment) entry.segment.acked.push(seq);
      }
    }
    this.acksWritten = acked.records.length;
    this.enforceBounds(Date.now());
    if (this.droppedUnlogged > 0) {
      this.log.warn(
        `metrics outbox bounds (max ${this.bounds.maxSamples} samples / ${this.bounds.maxAgeMs} ms): dropped ${this.droppedUnlogged} stored samples at start`,
      );
      this.droppedUnlogged = 0;
    }
    this.collect();
    if (this.acksWritten > ACKS_REWRITE_THRESHOLD) this.rewriteAcks();
  }

  private activeSegment(seq: number): { segment: Segment; appender: RecordAppender } {
    const current = this.active;
    if (current && !current.appender.broken && current.appender.size < this.segmentBytes) return current;
    if (!current) {
      const newest = this.segments[this.segments.length - 1];
      if (newest) {
        const appender = new RecordAppender(newest.file, loadRecordFile(newest.file).size);
        if (appender.size < this.segmentBytes) {
          this.active = { segment: newest, appender };
          return this.active;
        }
        appender.close();
      }
    }
    const segment: Segment = {
      firstSeq: seq,
      file: path.join(this.dir, segmentName(seq)),
      live: 0,
      acked: [],
    };
    const appender = new RecordAppender(segment.file, 0);
    current?.appender.close();
    this.segments.push(segment);
    this.active = { segment, appender };
    this.collect();
    return this.active;
  }

  /** Deletes every segment with nothing pending, except the newest. */
  private collect(): void {
    const newest = this.segments[this.segments.length - 1];
    let deleted = false;
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const segment = this.segments[i];
      if (!segment || segment === newest || segment.live > 0) continue;
      closeReader(segment);
      try {
        unlinkSync(segment.file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') continue;
      }
      this.segments.splice(i, 1);
      deleted = true;
    }
    if (deleted && this.acksWritten > ACKS_REWRITE_THRESHOLD) this.rewriteAcks();
  }

  private journalAcks(seqs: number[]): void {
    const payload = Buffer.allocUnsafe(seqs.length * 8);
    seqs.forEach((seq, i) => payload.writeDoubleLE(seq, i * 8));
    try {
      this.acks ??= new RecordAppender(
        path.join(this.dir, ACKS_FILE),
        loadRecordFile(path.join(this.dir, ACKS_FILE)).size,
      );
      this.acks.append(payload);
      this.acksWritten += 1;
      if (this.acks.broken) {
        this.acks.close();
        this.acks = undefined;
      }
    } catch (error) {
      // An ack that could not be journaled only means the sample is sent again after a restart
      // (the server stores each seq once).
      if (!isStorageError(error)) throw error;
    }
  }

  private rewriteAcks(): void {
    const seqs = this.segments.flatMap((s) => s.acked);
    const payload = Buffer.allocUnsafe(seqs.length * 8);
    seqs.forEach((seq, i) => payload.writeDoubleLE(seq, i * 8));
    try {
      this.acks?.close();
      this.acks = undefined;
      writeFileAtomic(
        path.join(this.dir, ACKS_FILE),
        seqs.length > 0 ? encodeRecord(payload) : Buffer.alloc(0),
      );
      this.acksWritten = seqs.length > 0 ? 1 : 0;
    } catch (error) {
      if (!isStorageError(error)) throw error;
    }
  }

  /** Index of the first entry with seq > `seq`. */
  private indexAfter(seq: number): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.entries[mid]?.seq ?? 0) <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private remove(seq: number): Entry | undefined {
    const i = this.indexAfter(seq) - 1;
    const entry = this.entries[i];
    if (!entry || entry.seq !== seq) return undefined;
    this.entries.splice(i, 1);
    this.release(entry);
    return entry;
  }

  private release(entry: Entry): void {
    if (entry.segment) entry.segment.live -= 1;
    else this.inMemory -= 1;
  }

  private enforceBounds(now: number): void {
    const cutoff = now - this.bounds.maxAgeMs;
    let drop = 0;
    while (drop < this.entries.length && (this.entries[drop]?.ts ?? now) < cutoff) drop += 1;
    drop = Math.max(drop, this.entries.length - this.bounds.maxSamples);
    if (drop > 0) {
      for (const entry of this.entries.splice(0, drop)) this.release(entry);
    }
    let memoryDrops = 0;
    if (this.inMemory > this.memorySamples) {
      // Over the memory cap: drop the oldest samples that exist only in memory.
      this.entries = this.entries.filter((entry) => {
        if (entry.segment || this.inMemory <= this.memorySamples) return true;
        this.inMemory -= 1;
        memoryDrops += 1;
        return false;
      });
    }
    this.droppedUnlogged += drop + memoryDrops;
    this.droppedTotal += drop + memoryDrops;
    if (drop > 0) this.collect();
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

function closeReader(segment: Segment): void {
  if (segment.readFd === undefined) return;
  closeSync(segment.readFd);
  segment.readFd = undefined;
}

function toEntry(record: StoredRecord, segment: Segment): Entry {
  return {
    length: record.payload.length,
    seq: record.payload.readDoubleLE(0),
    ts: record.payload.readDoubleLE(8),
    segment,
    offset: record.offset,
    body: undefined,
  };
}
