/** @module metrics/processes — process count and the top processes by CPU and by memory. */
import { readdirSync, readFileSync } from 'node:fs';
import type { ProcessInfo } from '@hostwire/protocol';
import { parsePidStat } from './proc-parsers.js';
import { ProcReader } from './proc-reader.js';

/** Clock ticks per second of /proc times; 100 on every mainstream Linux build (USER_HZ). */
const CLOCK_TICKS = 100;

/** The memory page size, derived from this process's own RSS (Node has no sysconf). */
function detectPageSize(procRoot: string): number {
  try {
    const pages = Number(readFileSync(`${procRoot}/self/statm`, 'utf8').split(' ')[1]);
    const ratio = process.memoryUsage.rss() / pages;
    for (const size of [4096, 16384, 65536]) if (ratio < size * 1.5) return size;
    return 65536;
  } catch {
    return 4096;
  }
}

export interface ProcessSummary {
  count: number;
  topCpu: ProcessInfo[];
  topMemory: ProcessInfo[];
}

/**
 * Scans /proc/<pid>/stat for every process. CPU is the share of one core since the previous scan
 * (or since the process started, for a process the previous scan did not see).
 */
export class ProcessScanner {
  private readonly procRoot: string;
  private readonly topN: number;
  private readonly pageSize: number;
  private readonly reader: ProcReader;
  private previous = new Map<number, number>();

  constructor(procRoot = '/proc', topN = 5, reader = new ProcReader()) {
    this.reader = reader;
    this.procRoot = procRoot;
    this.topN = topN;
    this.pageSize = detectPageSize(procRoot);
  }

  /** Reads every process; `uptimeSec` is the system uptime, `elapsedSec` the time since the last scan. */
  scan(uptimeSec: number, elapsedSec: number): ProcessSummary {
    const next = new Map<number, number>();
    const infos: ProcessInfo[] = [];
    for (const entry of readdirSync(this.procRoot)) {
      const code = entry.charCodeAt(0);
      if (code < 48 || code > 57) continue;
      const pid = Number(entry);
      const text = this.reader.read(`${this.procRoot}/${entry}/stat`);
      if (text === undefined) continue;
      const stat = parsePidStat(text);
      if (!stat) continue;
      next.set(pid, stat.ticks);
      const before = this.previous.get(pid);
      let cpu: number;
      if (before !== undefined && elapsedSec > 0) {
        cpu = ((stat.ticks - before) / CLOCK_TICKS / elapsedSec) * 100;
      } else {
        const lifetime = uptimeSec - stat.startTicks / CLOCK_TICKS;
        cpu = lifetime > 0 ? (stat.ticks / CLOCK_TICKS / lifetime) * 100 : 0;
      }
      infos.push({
        pid,
        name: stat.name.slice(0, 256),
        cpu: Math.max(0, Math.round(cpu * 10) / 10),
        memory: stat.rssPages * this.pageSize,
      });
    }
    this.previous = next;
    const topCpu = [...infos].sort((a, b) => b.cpu - a.cpu).slice(0, this.topN);
    const topMemory = infos.sort((a, b) => b.memory - a.memory).slice(0, this.topN);
    return { count: infos.length, topCpu, topMemory };
  }
}
