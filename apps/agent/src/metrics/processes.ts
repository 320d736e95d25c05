/** @module metrics/processes — process count and the top processes by CPU and by memory. */
import { readdirSync, readFileSync } from 'node:fs';
import type { ProcessInfo } from '@hostwire/protocol';
import type { PidStatFields } from './proc-parsers.js';
import { parsePidStatBytes } from './proc-parsers.js';
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
 * Where a process with `value` goes in `top` (sorted by `key`, highest first, at most `n` long; equal
 * values keep the scan order), or -1 when it does not make the list.
 */
function offer(top: ProcessInfo[], n: number, key: 'cpu' | 'memory', value: number): number {
  const last = top[top.length - 1];
  if (top.length >= n && last !== undefined && value <= last[key]) return -1;
  let at = top.length;
  while (at > 0 && (top[at - 1]?.[key] ?? Infinity) < value) at--;
  return at;
}

/**
 * Scans /proc/<pid>/stat for every process. CPU is the share of one core since the previous scan
 * (or since the process started, for a process the previous scan did not see). Each stat file is read
 * into one reused buffer and parsed from its bytes; only the processes that enter a top list get an
 * object and a decoded name (measured: bench/agent-footprint.mjs, docs/agent.md#footprint).
 */
export class ProcessScanner {
  private readonly procRoot: string;
  private readonly topN: number;
  private readonly pageSize: number;
  private readonly reader: ProcReader;
  private readonly fields: PidStatFields = { ticks: 0, startTicks: 0, rssPages: 0, nameStart: 0, nameEnd: 0 };
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
    const topCpu: ProcessInfo[] = [];
    const topMemory: ProcessInfo[] = [];
    const stat = this.fields;
    let count = 0;
    for (const entry of readdirSync(this.procRoot)) {
      const code = entry.charCodeAt(0);
      if (code < 48 || code > 57) continue;
      const pid = Number(entry);
      const length = this.reader.readBytes(`${this.procRoot}/${entry}/stat`);
      if (length < 0 || !parsePidStatBytes(this.reader.bytes, length, stat)) continue;
      count++;
      next.set(pid, stat.ticks);
      const before = this.previous.get(pid);
      let cpu: number;
      if (before !== undefined && elapsedSec > 0) {
        cpu = ((stat.ticks - before) / CLOCK_TICKS / elapsedSec) * 100;
      } else {
        const lifetime = uptimeSec - stat.startTicks / CLOCK_TICKS;
        cpu = lifetime > 0 ? (stat.ticks / CLOCK_TICKS / lifetime) * 100 : 0;
      }
      cpu = Math.max(0, Math.round(cpu * 10) / 10);
      const memory = stat.rssPages * this.pageSize;
      const cpuAt = offer(topCpu, this.topN, 'cpu', cpu);
      const memoryAt = offer(topMemory, this.topN, 'memory', memory);
      if (cpuAt < 0 && memoryAt < 0) continue;
      const name = this.reader.bytes.toString(
        'utf8',
        stat.nameStart,
        Math.min(stat.nameEnd, stat.nameStart + 1024),
      );
      const info: ProcessInfo = { pid, name: name.slice(0, 256), cpu, memory };
      if (cpuAt >= 0) {
        topCpu.splice(cpuAt, 0, info);
        if (topCpu.length > this.topN) topCpu.pop();
      }
      if (memoryAt >= 0) {
        topMemory.splice(memoryAt, 0, info);
        if (topMemory.length > this.topN) topMemory.pop();
      }
    }
    this.previous = next;
    return { count, topCpu, topMemory };
  }
}
