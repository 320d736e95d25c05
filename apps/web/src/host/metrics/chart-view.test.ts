// Tests of the per-entity breakdowns and the round tick labels.
import type { MetricsSample } from '@hostwire/protocol';
import { describe, expect, it } from 'vitest';
import { formatTick } from './chart-specs.js';
import { breakdownView, MAX_BREAKDOWN_LINES, tickIncrements } from './chart-view.js';

function sample(ts: number, overrides: Partial<MetricsSample> = {}): MetricsSample {
  return {
    seq: ts,
    ts,
    cpu: { total: 20, cores: [10, 30] },
    load: [0, 0, 0],
    memory: { total: 8, used: 2, available: 6, swapTotal: 0, swapUsed: 0 },
    filesystems: [{ mount: '/', fstype: 'ext4', total: 100, used: 40 }],
    disk: { readBps: 3, writeBps: 4, devices: [{ name: 'vda', readBps: 3, writeBps: 4 }] },
    network: { rxBps: 5, txBps: 6, interfaces: [{ name: 'eth0', rxBps: 5, txBps: 6 }] },
    uptime: 1,
    processes: { count: 1, topCpu: [], topMemory: [] },
    ...overrides,
  };
}

describe('breakdownView', () => {
  it('draws one line per core, in seconds, with gaps where a core is missing', () => {
    const { view, omitted } = breakdownView(
      [sample(1000), sample(2000, { cpu: { total: 50, cores: [40, 60, 70] } })],
      'cores',
    );
    expect(view.lines.map((l) => l.label)).toEqual(['core 0', 'core 1', 'core 2']);
    expect(view.columns).toEqual([
      [1, 2],
      [10, 40],
      [30, 60],
      [null, 70],
    ]);
    expect(omitted).toBe(0);
  });

  it('names filesystems by mount (percent used), disks and interfaces by direction', () => {
    expect(breakdownView([sample(1000)], 'filesystems').view.columns[1]).toEqual([40]);
    expect(breakdownView([sample(1000)], 'devices').view.lines.map((l) => l.label)).toEqual([
      'vda read',
      'vda write',
    ]);
    expect(breakdownView([sample(1000)], 'interfaces').view.lines.map((l) => l.label)).toEqual([
      'eth0 rx',
      'eth0 tx',
    ]);
  });

  it('draws at most MAX_BREAKDOWN_LINES and counts the rest', () => {
    const cores = Array.from({ length: 40 }, (_, i) => i);
    const { view, omitted } = breakdownView([sample(1000, { cpu: { total: 1, cores } })], 'cores');
    expect(view.lines).toHaveLength(MAX_BREAKDOWN_LINES);
    expect(omitted).toBe(40 - MAX_BREAKDOWN_LINES);
  });
});

describe('round ticks', () => {
  it('steps rates by 1-2-5 of powers of 1024 and prints them without needless decimals', () => {
    expect(tickIncrements('rate')).toContain(5 * 1024 * 1024);
    expect(formatTick('rate', 5 * 1024 * 1024, 5 * 1024 * 1024)).toBe('5 MiB/s');
    expect(formatTick('rate', 0, 1024)).toBe('0 B/s');
    expect(formatTick('rate', 512 * 1024, 256 * 1024)).toBe('512 KiB/s');
    // 1500 B/s is 1.46 KiB/s: a tick of a 500 B step is written in bytes, never rounded to '1.5 KiB/s'.
    expect(formatTick('rate', 1500, 500)).toBe('1500 B/s');
    expect(formatTick('rate', 1250 * 1024, 250 * 1024)).toBe('1250 KiB/s');
  });

  it('prints percent as whole numbers and other values with the decimals of the step', () => {
    expect(formatTick('percent', 25, 25)).toBe('25%');
    expect(formatTick('number', 2, 0.5)).toBe('2.0');
    expect(formatTick('number', 10, 5)).toBe('10');
  });
});
