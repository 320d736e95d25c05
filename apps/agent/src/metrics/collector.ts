/** @module metrics/collector — reads /proc and statfs into one MetricsSample (without its seq). */
import { readdir, statfs, access } from 'node:fs/promises';
import type { MetricsSample } from '@hostwire/protocol';
import { ProcessScanner } from './processes.js';
import { ProcReader } from './proc-reader.js';
import type { CpuTimes, MountEntry } from './proc-parsers.js';
import {
  cpuPercent,
  parseDiskstats,
  parseLoadavg,
  parseMeminfo,
  parseMounts,
  parseNetDev,
  parseProcStat,
} from './proc-parsers.js';

/** A sample before the outbox gives it a seq. */
export type UnsequencedSample = Omit<MetricsSample, 'seq'>;

export interface CollectorOptions {
  procRoot?: string;
  sysRoot?: string;
  topN?: number;
  /** How often the mount table and the disk list are re-read (ms). */
  refreshMs?: number;
}

type Counters = Map<string, [number, number]>;

function rates(
  prev: Counters | undefined,
  next: Counters,
  seconds: number,
): { name: string; a: number; b: number }[] {
  const out: { name: string; a: number; b: number }[] = [];
  for (const [name, [a, b]] of next) {
    const before = prev?.get(name);
    const ok = before !== undefined && seconds > 0;
    out.push({
      name,
      a: ok ? Math.max(0, (a - before[0]) / seconds) : 0,
      b: ok ? Math.max(0, (b - before[1]) / seconds) : 0,
    });
  }
  return out;
}

const round = (n: number): number => Math.round(n * 100) / 100;

/**
 * Collects Linux metrics straight from /proc (no library): CPU from /proc/stat deltas, memory, load,
 * filesystems via statfs, disk and network rates from counter deltas, processes from /proc/<pid>/stat.
 */
export class MetricsCollector {
  private readonly proc: string;
  private readonly sys: string;
  private readonly refreshMs: number;
  private readonly reader = new ProcReader();
  private readonly processes: ProcessScanner;
  private prevCpu: { total: CpuTimes; cores: CpuTimes[] } | undefined;
  private prevDisk: Counters | undefined;
  private prevNet: Counters | undefined;
  private prevAt = 0;
  private mounts: MountEntry[] = [];
  private disks = new Set<string>();
  private refreshedAt = -Infinity;

  constructor(options: CollectorOptions = {}) {
    this.proc = options.procRoot ?? '/proc';
    this.sys = options.sysRoot ?? '/sys';
    this.refreshMs = options.refreshMs ?? 60_000;
    this.processes = new ProcessScanner(this.proc, options.topN ?? 5, this.reader);
  }

  /** Takes a first reading so the first real sample already has rates. */
  async prime(): Promise<void> {
    await this.collect();
  }

  /** One sample; rates cover the time since the previous call. */
  async collect(now = Date.now()): Promise<UnsequencedSample> {
    const at = performance.now();
    if (at - this.refreshedAt >= this.refreshMs) await this.refreshTables(at);
    const read = (name: string): string => this.reader.read(`${this.proc}/${name}`) ?? '';
    const statText = read('stat');
    const loadText = read('loadavg');
    const memText = read('meminfo');
    const upText = read('uptime');
    const diskText = read('diskstats');
    const netText = read('net/dev');
    const seconds = this.prevAt > 0 ? (at - this.prevAt) / 1000 : 0;
    const cpu = parseProcStat(statText);
    const disk = parseDiskstats(diskText, (name) => this.disks.has(name));
    const net = parseNetDev(netText);
    const uptime = Number(upText.split(' ')[0]) || 0;
    const processes = this.processes.scan(uptime, seconds);
    const filesystems = await this.readFilesystems();
    const diskRates = rates(this.prevDisk, disk, seconds);
    const netRates = rates(this.prevNet, net, seconds);
    const prevCores = this.prevCpu?.cores;
    const sample: UnsequencedSample = {
      ts: now,
      cpu: {
        total: round(cpuPercent(this.prevCpu?.total, cpu.total)),
        cores: cpu.cores.slice(0, 1024).map((core, i) => round(cpuPercent(prevCores?.[i], core))),
      },
      load: parseLoadavg(loadText),
      memory: parseMeminfo(memText),
      filesystems,
      disk: {
        readBps: round(diskRates.reduce((s, d) => s + d.a, 0)),
        writeBps: round(diskRates.reduce((s, d) => s + d.b, 0)),
        devices: diskRates
          .slice(0, 256)
          .map((d) => ({ name: d.name, readBps: round(d.a), writeBps: round(d.b) })),
      },
      network: {
        rxBps: round(netRates.reduce((s, d) => s + d.a, 0)),
        txBps: round(netRates.reduce((s, d) => s + d.b, 0)),
        interfaces: netRates
          .slice(0, 256)
          .map((d) => ({ name: d.name, rxBps: round(d.a), txBps: round(d.b) })),
      },
      uptime,
      processes,
    };
    this.prevCpu = cpu;
    this.prevDisk = disk;
    this.prevNet = net;
    this.prevAt = at;
    return sample;
  }

  private async readFilesystems(): Promise<MetricsSample['filesystems']> {
    const results = await Promise.all(
      this.mounts.map(async (m) => {
        try {
          const s = await statfs(m.mount);
          const total = s.blocks * s.bsize;
          return {
            mount: m.mount.slice(0, 256),
            fstype: m.fstype.slice(0, 64),
            total,
            used: Math.max(0, total - s.bfree * s.bsize),
          };
        } catch {
          return undefined;
        }
      }),
    );
    return results.filter((r): r is NonNullable<typeof r> => r !== undefined && r.total > 0);
  }

  private async refreshTables(at: number): Promise<void> {
    this.refreshedAt = at;
    const mountsText = this.reader.read(`${this.proc}/self/mounts`) ?? '';
    this.mounts = parseMounts(mountsText).slice(0, 256);
    const disks = new Set<string>();
    const names = await readdir(`${this.sys}/block`).catch(() => [] as string[]);
    // Whole physical disks have a `device` link; partitions, loop, ram, dm and md devices do not.
    await Promise.all(
      names.map((name) =>
        access(`${this.sys}/block/${name}/device`).then(
          () => disks.add(name),
          () => undefined,
        ),
      ),
    );
    this.disks = disks;
  }
}
