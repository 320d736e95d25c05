// Tests of the on-disk metrics outbox: persistence, acks, ordering, bounds, torn tails, kill -9 and a
// full disk, on real files (the disk-full case on a real 1 MiB tmpfs).
import { execFileSync, spawn } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  readdirSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MetricsSample } from '@hostwire/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildBatch } from '../metrics/metrics-sender.js';
import { createTempDir, waitFor } from '../test-support/fixtures.js';
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

const seqsOf = (outbox: MetricsOutbox): number[] => outbox.readAfter(0, 1_000_000).map((r) => r.seq);
const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('MetricsOutbox', () => {
  let tmp: Awaited<ReturnType<typeof createTempDir>>;
  let dir: string;
  const open: MetricsOutbox[] = [];
  const bounds = { maxSamples: 100, maxAgeMs: 3600_000 };
  const openOutbox = (b = bounds, options: { segmentBytes?: number; memorySamples?: number } = {}) => {
    const outbox = new MetricsOutbox(dir, b, options);
    open.push(outbox);
    return outbox;
  };
  beforeEach(async () => {
    tmp = await createTempDir();
    dir = path.join(tmp.dir, 'outbox');
  });
  afterEach(async () => {
    for (const outbox of open.splice(0)) outbox.close();
    await tmp.remove();
  });

  it('keeps samples and the seq counter across a reopen', () => {
    const outbox = openOutbox();
    for (let i = 0; i < 3; i++) outbox.append((seq) => sample(seq));
    outbox.close();
    const reopened = openOutbox();
    expect(reopened.pending).toBe(3);
    expect(
      reopened
        .readAfter(0, 10)
        .map((r) => JSON.parse(r.body) as MetricsSample)
        .map((s) => s.seq),
    ).toEqual([1, 2, 3]);
    expect(reopened.append((seq) => sample(seq)).seq).toBe(4);
  });

  it('drops only acknowledged seqs, remembers acks across a reopen and keeps counting after the queue empties', () => {
    const outbox = openOutbox(bounds, { segmentBytes: 2048 });
    for (let i = 0; i < 30; i++) outbox.append((seq) => sample(seq));
    expect(readdirSync(dir).filter((n) => n.endsWith('.seg')).length).toBeGreaterThan(3);
    expect(outbox.ack([2, 4, 99])).toBe(2);
    expect(outbox.readAfter(3, 2).map((r) => r.seq)).toEqual([5, 6]);
    outbox.close();
    const reopened = openOutbox(bounds, { segmentBytes: 2048 });
    expect(seqsOf(reopened)).toEqual(range(1, 30).filter((s) => s !== 2 && s !== 4));
    reopened.ack(range(1, 30));
    expect(reopened.pending).toBe(0);
    // Fully acknowledged segments are deleted; only the newest one stays, holding the counter.
    expect(readdirSync(dir).filter((n) => n.endsWith('.seg'))).toHaveLength(1);
    reopened.close();
    const again = openOutbox(bounds, { segmentBytes: 2048 });
    expect(again.pending).toBe(0);
    expect(again.append((seq) => sample(seq)).seq).toBe(31);
  });

  it('enforces its count bound by dropping the oldest samples, and counts every dropped sample', () => {
    const outbox = openOutbox({ maxSamples: 10, maxAgeMs: 3600_000 }, { segmentBytes: 1500 });
    for (let i = 0; i < 25; i++) outbox.append((seq) => sample(seq));
    expect(outbox.pending).toBe(10);
    expect(outbox.dropped).toBe(15);
    expect(seqsOf(outbox)).toEqual(range(16, 25));
    outbox.close();
    expect(seqsOf(openOutbox({ maxSamples: 10, maxAgeMs: 3600_000 }))).toEqual(range(16, 25));
  });

  it('enforces its age bound', () => {
    const outbox = openOutbox({ maxSamples: 100, maxAgeMs: 60_000 });
    const now = Date.now();
    outbox.append((seq) => sample(seq, now - 120_000));
    outbox.append((seq) => sample(seq, now - 30_000));
    outbox.append((seq) => sample(seq, now));
    expect(seqsOf(outbox)).toEqual([2, 3]);
    expect(outbox.dropped).toBe(1);
  });

  it('stores the exact JSON sent, and batches fit the frame limit in seq order', () => {
    const outbox = openOutbox();
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

  it('drops a torn last record on start and keeps the rest', () => {
    const outbox = openOutbox();
    for (let i = 0; i < 5; i++) outbox.append((seq) => sample(seq));
    outbox.close();
    const [segment] = readdirSync(dir).filter((n) => n.endsWith('.seg'));
    const file = path.join(dir, segment ?? '');
    truncateSync(file, statSync(file).size - 7);
    const reopened = openOutbox();
    expect(seqsOf(reopened)).toEqual([1, 2, 3, 4]);
    // A record with a bad checksum (garbage after the last record) is dropped as well.
    reopened.close();
    appendFileSync(file, Buffer.from([20, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    const again = openOutbox();
    expect(seqsOf(again)).toEqual([1, 2, 3, 4]);
    expect(again.append((seq) => sample(seq)).seq).toBe(5);
    again.close();
    expect(seqsOf(openOutbox())).toEqual([1, 2, 3, 4, 5]);
  });

  it('survives kill -9 at any point: every complete record is kept, in order, with no gap', async () => {
    const writer = fileURLToPath(new URL('../../dist/outbox/metrics-outbox.js', import.meta.url));
    expect(existsSync(writer), 'build the agent first (npm run build -w @hostwire/agent)').toBe(true);
    const script = `
      const { MetricsOutbox } = await import(${JSON.stringify(writer)});
      const outbox = new MetricsOutbox(${JSON.stringify(dir)}, { maxSamples: 1e6, maxAgeMs: 1e12 }, { segmentBytes: 4096 });
      const pad = 'x'.repeat(300);
      process.stdout.write('ready\\n');
      for (;;) outbox.append((seq) => ({ seq, ts: Date.now(), pad }));
    `;
    const segmentBytes = (): number =>
      existsSync(dir)
        ? readdirSync(dir)
            .filter((n) => n.endsWith('.seg'))
            .reduce((sum, n) => sum + statSync(path.join(dir, n)).size, 0)
        : 0;
    let last = 0;
    for (let round = 0; round < 5; round++) {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      await new Promise((resolve) => child.stdout.once('data', resolve));
      // Kill it mid-write at a different point each round: once it has written a round-dependent amount.
      const before = segmentBytes();
      await waitFor(() => segmentBytes() >= before + 4096 * (round + 1) + 997 * round, 10_000, 'writes');
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      const outbox = openOutbox({ maxSamples: 1e6, maxAgeMs: 1e12 });
      const seqs = seqsOf(outbox);
      expect(seqs.length).toBeGreaterThan(last);
      expect(seqs).toEqual(range(1, seqs.length));
      for (const row of outbox.readAfter(seqs.length - 3, 3))
        expect((JSON.parse(row.body) as { seq: number }).seq).toBe(row.seq);
      last = seqs.length;
      outbox.close();
    }
  });

  it('keeps sending from memory while the disk is full, and buffers on disk again once space returns', () => {
    const mnt = path.join(tmp.dir, 'small');
    execFileSync('mkdir', ['-p', mnt]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt]);
    try {
      dir = path.join(mnt, 'outbox');
      const outbox = openOutbox(
        { maxSamples: 100_000, maxAgeMs: 3600_000 },
        { segmentBytes: 64 * 1024, memorySamples: 50 },
      );
      const filler = path.join(mnt, 'filler');
      try {
        writeFileSync(filler, Buffer.alloc(1024 * 1024));
      } catch {
        // The filesystem is full now: exactly what this test wants.
      }
      let n = 0;
      while (outbox.storageError === null && n < 10_000) {
        outbox.append((seq) => sample(seq));
        n += 1;
      }
      expect(outbox.storageError).toMatch(/ENOSPC/);
      for (let i = 0; i < 80; i++) outbox.append((seq) => sample(seq));
      const total = n + 80;
      // Seqs 1..n-1 are on disk; n..total (81 samples) were refused by the disk: the newest 50 stay in
      // memory, the 31 older memory-only ones are dropped and counted.
      const seqs = seqsOf(outbox);
      expect(seqs.slice(-50)).toEqual(range(total - 49, total));
      expect(seqs).toEqual(range(1, n - 1).concat(range(total - 49, total)));
      expect(outbox.dropped).toBe(31);
      expect(outbox.lastSeq).toBe(total);
      rmSync(filler);
      const stored = outbox.append((seq) => sample(seq));
      expect(outbox.storageError).toBeNull();
      expect(stored.seq).toBe(total + 1);
      outbox.close();
      const reopened = openOutbox({ maxSamples: 100_000, maxAgeMs: 3600_000 });
      expect(seqsOf(reopened).at(-1)).toBe(total + 1);
      expect(seqsOf(reopened)).toEqual(range(1, n - 1).concat(total + 1));
      reopened.close();
    } finally {
      for (const outbox of open.splice(0)) outbox.close();
      execFileSync('umount', [mnt]);
    }
  });
});
