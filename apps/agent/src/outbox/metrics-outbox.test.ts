// Tests of the on-disk metrics outbox: persistence, acks, ordering and its bounds, on a real SQLite file.
import type { MetricsSample } from '@hostwire/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildBatch } from '../metrics/metrics-sender.js';
import { createTempDir } from '../test-support/fixtures.js';
import type { StateDatabase } from './database.js';
import { openStateDatabase } from './database.js';
import { MetricsOutbox } from './metrics-outbox.js';

function sample(seq: number, ts = Date.now()): MetricsSample {
  return {
    seq,
    ts,
    cpu: { total: 1, cores: [1] },
    load: [0, 0, 0],
    memory: { total: 1, used: 0, available: 1, swapTotal: 0, swapUsed: 0 },
    filesystems: [],
    disk: { readBps: 0, writeBps: 0, devices: [] },
    network: { rxBps: 0, txBps: 0, interfaces: [] },
    uptime: 1,
    processes: { count: 1, topCpu: [], topMemory: [] },
  };
}

describe('MetricsOutbox', () => {
  let tmp: Awaited<ReturnType<typeof createTempDir>>;
  let db: StateDatabase;
  const bounds = { maxSamples: 100, maxAgeMs: 3600_000 };
  beforeEach(async () => {
    tmp = await createTempDir();
    db = openStateDatabase(tmp.dir);
  });
  afterEach(async () => {
    if (db.open) db.close();
    await tmp.remove();
  });

  it('keeps samples and the seq counter across a reopen, in WAL mode', () => {
    const outbox = new MetricsOutbox(db, bounds);
    for (let i = 0; i < 3; i++) outbox.append((seq) => sample(seq));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
    db = openStateDatabase(tmp.dir);
    const reopened = new MetricsOutbox(db, bounds);
    expect(reopened.pending).toBe(3);
    expect(reopened.readAfter(0, 10).map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(reopened.append((seq) => sample(seq)).seq).toBe(4);
  });

  it('drops only acknowledged seqs and keeps counting after the queue empties', () => {
    const outbox = new MetricsOutbox(db, bounds);
    for (let i = 0; i < 5; i++) outbox.append((seq) => sample(seq));
    expect(outbox.ack([2, 4, 99])).toBe(2);
    expect(outbox.readAfter(0, 10).map((r) => r.seq)).toEqual([1, 3, 5]);
    expect(outbox.readAfter(3, 10).map((r) => r.seq)).toEqual([5]);
    outbox.ack([1, 3, 5]);
    expect(outbox.pending).toBe(0);
    db.close();
    db = openStateDatabase(tmp.dir);
    expect(new MetricsOutbox(db, bounds).append((seq) => sample(seq)).seq).toBe(6);
  });

  it('enforces its count bound by dropping the oldest samples', () => {
    const outbox = new MetricsOutbox(db, { maxSamples: 10, maxAgeMs: 3600_000 });
    for (let i = 0; i < 25; i++) outbox.append((seq) => sample(seq));
    expect(outbox.pending).toBe(10);
    expect(outbox.readAfter(0, 100).map((r) => r.seq)).toEqual([16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
  });

  it('enforces its age bound', () => {
    const outbox = new MetricsOutbox(db, { maxSamples: 100, maxAgeMs: 60_000 });
    const now = Date.now();
    outbox.append((seq) => sample(seq, now - 120_000));
    outbox.append((seq) => sample(seq, now - 30_000));
    outbox.append((seq) => sample(seq, now));
    expect(outbox.readAfter(0, 10).map((r) => r.seq)).toEqual([2, 3]);
  });

  it('stores the exact JSON sent, and batches fit the frame limit in seq order', () => {
    const outbox = new MetricsOutbox(db, bounds);
    for (let i = 0; i < 50; i++) outbox.append((seq) => sample(seq));
    const rows = outbox.readAfter(0, 500);
    const limit = 4096;
    const batch = buildBatch(rows, limit);
    expect(Buffer.byteLength(batch.text)).toBeLessThanOrEqual(limit);
    const parsed = JSON.parse(batch.text) as { type: string; samples: MetricsSample[] };
    expect(parsed.type).toBe('metrics');
    expect(parsed.samples.map((s) => s.seq)).toEqual(batch.seqs);
    expect(batch.seqs[0]).toBe(1);
    expect(batch.seqs.length).toBeGreaterThan(1);
    expect(batch.seqs.length).toBeLessThan(50);
  });
});
