// Tests of the /proc collector on this machine's real /proc and of the pure /proc parsers.
import { cpus } from 'node:os';
import { MetricsSample } from '@hostwire/protocol';
import { describe, expect, it } from 'vitest';
import { MetricsCollector } from './collector.js';
import { parseMounts, parseNetDev, parsePidStat, parseProcStat, cpuPercent } from './proc-parsers.js';

describe('MetricsCollector', () => {
  it('yields a valid MetricsSample from the real /proc', async () => {
    const collector = new MetricsCollector();
    await collector.prime();
    const burn = Date.now() + 150;
    while (Date.now() < burn) Math.sqrt(Math.random());
    const partial = await collector.collect();
    const result = MetricsSample.safeParse({ seq: 1, ...partial });
    expect(result.success, JSON.stringify(result.error?.issues)).toBe(true);
    expect(partial.cpu.cores).toHaveLength(cpus().length);
    expect(partial.cpu.total).toBeGreaterThan(0);
    expect(partial.memory.total).toBeGreaterThan(0);
    expect(partial.processes.count).toBeGreaterThan(1);
    expect(partial.processes.topCpu.length).toBeLessThanOrEqual(5);
    expect(partial.processes.topMemory[0]?.memory).toBeGreaterThan(0);
    expect(partial.processes.topCpu.some((p) => p.pid === process.pid)).toBe(true);
    expect(partial.filesystems.some((f) => f.mount === '/')).toBe(true);
    expect(partial.network.interfaces.some((i) => i.name === 'lo')).toBe(false);
  });
});

describe('proc parsers', () => {
  it('computes CPU busy percent from two /proc/stat readings', () => {
    const a = parseProcStat('cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 100 0 100 800 0 0 0 0 0 0\n');
    const b = parseProcStat('cpu  150 0 150 900 0 0 0 0 0 0\ncpu0 150 0 150 900 0 0 0 0 0 0\n');
    expect(b.cores).toHaveLength(1);
    expect(cpuPercent(a.total, b.total)).toBeCloseTo(50);
    expect(cpuPercent(undefined, b.total)).toBe(0);
  });

  it('keeps real filesystems only, once per device', () => {
    const mounts = [
      'proc /proc proc rw 0 0',
      '/dev/sda1 / ext4 rw 0 0',
      'tmpfs /run tmpfs rw 0 0',
      '/dev/sda1 /var/lib/docker ext4 rw 0 0',
      '/dev/loop0 /snap/core squashfs ro 0 0',
      '/dev/sdb1 /mnt/my\\040disk xfs rw 0 0',
      'tank/data /tank zfs rw 0 0',
    ].join('\n');
    expect(parseMounts(mounts).map((m) => m.mount)).toEqual(['/', '/mnt/my disk', '/tank']);
  });

  it('skips lo in /proc/net/dev', () => {
    const text =
      'Inter-|\n face |\n    lo: 10 1 0 0 0 0 0 0 10 1 0 0 0 0 0 0\n  eth0: 500 5 0 0 0 0 0 0 700 7 0 0 0 0 0 0\n';
    expect([...parseNetDev(text)]).toEqual([['eth0', [500, 700]]]);
  });

  it('reads a process name containing spaces and parentheses', () => {
    const stat = parsePidStat(
      '42 (my (weird) name) S 1 42 42 0 -1 4194560 100 0 0 0 30 12 0 0 20 0 1 0 500 1000 25 18446744073709551615',
    );
    expect(stat).toEqual({ name: 'my (weird) name', ticks: 42, startTicks: 500, rssPages: 25 });
  });
});
