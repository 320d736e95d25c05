/**
 * @module containers/engine-stats — the Engine API's container list, inspect and stats answers (the
 * fields used), and the figures derived from two stats readings the way `docker stats` derives them.
 */

/** One entry of `GET /containers/json?all=1`. */
export interface EngineListEntry {
  Id: string;
  Names?: string[];
  Image?: string;
  State?: string;
  Status?: string;
}

/** The part of `GET /containers/<id>/json` used. */
export interface EngineInspect {
  Id: string;
  RestartCount?: number;
  State?: {
    Status?: string;
    StartedAt?: string;
    Health?: { Status?: string } | null;
  };
}

interface BlkioEntry {
  op?: string;
  value?: number;
}

/** The part of `GET /containers/<id>/stats?stream=false` used. */
export interface EngineStats {
  read?: string;
  cpu_stats?: {
    cpu_usage?: { total_usage?: number; percpu_usage?: number[] | null };
    system_cpu_usage?: number;
    online_cpus?: number;
  };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }>;
  blkio_stats?: { io_service_bytes_recursive?: BlkioEntry[] | null };
}

/**
 * One container of Podman's bulk `GET /v4.0.0/libpod/containers/stats?stream=false` (`{Error, Stats: [...]}`):
 * cumulative counters, `CPUNano` the container's CPU time and `SystemNano` the engine's wall clock (ns).
 */
export interface LibpodStatsEntry {
  ContainerID?: string;
  CPUNano?: number;
  SystemNano?: number;
  MemUsage?: number;
  MemLimit?: number;
  NetInput?: number;
  NetOutput?: number;
  BlockInput?: number;
  BlockOutput?: number;
}

/** The answer of Podman's bulk stats call. */
export interface LibpodStatsAnswer {
  Error?: unknown;
  Stats?: LibpodStatsEntry[] | null;
}

/** Cumulative counters of one reading, kept until the next one. */
export interface StatsReading {
  /** Which API it came from: deltas are only taken between readings of the same one. */
  source: 'docker' | 'libpod';
  /** When the agent read it (ms, monotonic clock). */
  at: number;
  cpuTotal: number;
  /** Docker: the host's CPU time over all cores (ns); libpod: the engine's wall clock (ns). */
  systemCpu: number;
  /** Docker: the host's online CPUs; libpod: 1 (the wall clock already counts one core). */
  onlineCpus: number;
  rx: number;
  tx: number;
  blockRead: number;
  blockWrite: number;
  memoryBytes: number;
  memoryLimitBytes: number;
}

/** The figures of one container over the time between two readings. */
export interface StatsFigures {
  cpuPercent: number;
  memoryBytes: number;
  memoryLimitBytes: number;
  netRxBps: number;
  netTxBps: number;
  blockReadBps: number;
  blockWriteBps: number;
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);
const round = (n: number): number => Math.round(n * 100) / 100;

/**
 * Reads the counters of one stats answer. Memory is usage minus the page cache that can be dropped
 * (`inactive_file` on cgroup v2, `total_inactive_file` on v1), as `docker stats` shows it. A limit at or
 * above the host's memory means no limit (the engine reports the host's memory then): 0.
 */
export function readStats(stats: EngineStats, at: number, hostMemoryBytes: number): StatsReading {
  const cpu = stats.cpu_stats ?? {};
  const usage = cpu.cpu_usage ?? {};
  const mem = stats.memory_stats ?? {};
  const cache = num(mem.stats?.total_inactive_file) || num(mem.stats?.inactive_file);
  const used = num(mem.usage);
  const limit = num(mem.limit);
  let rx = 0;
  let tx = 0;
  for (const net of Object.values(stats.networks ?? {})) {
    rx += num(net.rx_bytes);
    tx += num(net.tx_bytes);
  }
  let blockRead = 0;
  let blockWrite = 0;
  for (const entry of stats.blkio_stats?.io_service_bytes_recursive ?? []) {
    const op = (entry.op ?? '').toLowerCase();
    if (op === 'read') blockRead += num(entry.value);
    else if (op === 'write') blockWrite += num(entry.value);
  }
  return {
    source: 'docker',
    at,
    cpuTotal: num(usage.total_usage),
    systemCpu: num(cpu.system_cpu_usage),
    onlineCpus: num(cpu.online_cpus) || usage.percpu_usage?.length || 1,
    rx,
    tx,
    blockRead,
    blockWrite,
    memoryBytes: used > cache ? used - cache : used,
    memoryLimitBytes: limit > 0 && (hostMemoryBytes <= 0 || limit < hostMemoryBytes) ? limit : 0,
  };
}

/**
 * Reads the counters of one entry of Podman's bulk stats answer. `MemUsage` is the figure the Docker-compatible
 * call reports as `memory_stats.usage`; the limit follows the same no-limit rule as `readStats`.
 */
export function readLibpodStats(entry: LibpodStatsEntry, at: number, hostMemoryBytes: number): StatsReading {
  const limit = num(entry.MemLimit);
  return {
    source: 'libpod',
    at,
    cpuTotal: num(entry.CPUNano),
    systemCpu: num(entry.SystemNano),
    onlineCpus: 1,
    rx: num(entry.NetInput),
    tx: num(entry.NetOutput),
    blockRead: num(entry.BlockInput),
    blockWrite: num(entry.BlockOutput),
    memoryBytes: num(entry.MemUsage),
    memoryLimitBytes: limit > 0 && (hostMemoryBytes <= 0 || limit < hostMemoryBytes) ? limit : 0,
  };
}

/**
 * Podman before 4.4 reports a container's network bytes the wrong way round, in its own stats and in the
 * Docker-compatible ones alike: the bytes the container received as `NetOutput` / `tx_bytes`, the bytes it
 * sent as `NetInput` / `rx_bytes` (containers/podman#16618, fixed in 4.4.0; Debian 12 ships 4.3.1).
 * `version` is the `Podman Engine` component's version from `GET /version`.
 */
export function podmanSwapsNetwork(version: unknown): boolean {
  const match = typeof version === 'string' ? /^v?(\d+)\.(\d+)\./.exec(version) : null;
  if (!match) return false;
  const major = Number(match[1]);
  return major < 4 || (major === 4 && Number(match[2]) < 4);
}

/**
 * A reading of Podman's Docker-compatible call measured against the wall clock, as its own bulk call is:
 * there `system_cpu_usage` is the CPU time all cgroups used (measured here: +4.48 s over 4.23 s of wall time
 * on two cores, with one busy container), not the host's total CPU time that Docker reports, so Docker's
 * formula would double a busy container's CPU % on a two-core host.
 */
export function againstWallClock(reading: StatsReading): StatsReading {
  return { ...reading, systemCpu: reading.at * 1e6, onlineCpus: 1 };
}

/** The same reading with received and sent bytes exchanged (see podmanSwapsNetwork). */
export function withNetworkSwapped(reading: StatsReading): StatsReading {
  return { ...reading, rx: reading.tx, tx: reading.rx };
}

/**
 * The figures between two readings of one container (`docker stats`' formulas):
 * - CPU % = Δ container CPU time / Δ host CPU time × online CPUs × 100 (percent of one core); from Podman's
 *   bulk call Δ container CPU time / Δ engine wall clock × 100, the same figure;
 * - each rate = Δ counter / Δ wall time (s), counters summed over every network and block device.
 * Without a previous reading (first sight, a counter that went backwards: the container restarted, or a
 * reading from the other API) the rates are 0 and memory is the current reading.
 */
export function computeFigures(prev: StatsReading | undefined, next: StatsReading): StatsFigures {
  const base = { memoryBytes: next.memoryBytes, memoryLimitBytes: next.memoryLimitBytes };
  const seconds = prev ? (next.at - prev.at) / 1000 : 0;
  if (!prev || prev.source !== next.source || seconds <= 0 || next.cpuTotal < prev.cpuTotal) {
    return { ...base, cpuPercent: 0, netRxBps: 0, netTxBps: 0, blockReadBps: 0, blockWriteBps: 0 };
  }
  const cpuDelta = next.cpuTotal - prev.cpuTotal;
  const systemDelta = next.systemCpu - prev.systemCpu;
  const cpuPercent = systemDelta > 0 && cpuDelta > 0 ? (cpuDelta / systemDelta) * next.onlineCpus * 100 : 0;
  const rate = (a: number, b: number): number => (b >= a ? round((b - a) / seconds) : 0);
  return {
    ...base,
    cpuPercent: round(cpuPercent),
    netRxBps: rate(prev.rx, next.rx),
    netTxBps: rate(prev.tx, next.tx),
    blockReadBps: rate(prev.blockRead, next.blockRead),
    blockWriteBps: rate(prev.blockWrite, next.blockWrite),
  };
}

/** The engine's health word → the protocol's (`''`/absent → none). */
export function healthOf(inspect: EngineInspect | undefined): 'healthy' | 'unhealthy' | 'starting' | 'none' {
  const status = inspect?.State?.Health?.Status;
  return status === 'healthy' || status === 'unhealthy' || status === 'starting' ? status : 'none';
}

/** Docker's list `Status` carries the health in parentheses: `Up 2 minutes (healthy)`. */
export function healthHint(status: string | undefined): string {
  const match = /\((healthy|unhealthy|health: starting)\)/.exec(status ?? '');
  return match?.[1] ?? '';
}
