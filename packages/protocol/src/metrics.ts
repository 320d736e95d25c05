/** @module metrics — the metrics sample an agent sends, the series derived from it, and history responses. */
import { z } from 'zod/mini';
import { Timestamp } from './common.js';
import { ContainerInfo, MAX_CONTAINERS_PER_SAMPLE, isContainerDown } from './containers.js';

const Bytes = z.number().check(z.nonnegative());
const Rate = z.number().check(z.nonnegative());
const Percent = z.number().check(z.gte(0), z.lte(100));
const Name = z.string().check(z.minLength(1), z.maxLength(256));
const NonNegative = z.number().check(z.nonnegative());

/** One process in a top-N list. `cpu` is percent of one core; `memory` is resident bytes. */
export const ProcessInfo = z.object({
  pid: z.int().check(z.nonnegative()),
  name: z.string().check(z.maxLength(256)),
  cpu: NonNegative,
  memory: Bytes,
});
export type ProcessInfo = z.infer<typeof ProcessInfo>;

/** One metrics sample, sequence-numbered per host by the agent (seq starts at 1 and only grows). */
export const MetricsSample = z.object({
  seq: z.int().check(z.positive()),
  ts: Timestamp,
  cpu: z.object({ total: Percent, cores: z.array(Percent).check(z.maxLength(1024)) }),
  load: z.tuple([NonNegative, NonNegative, NonNegative]),
  memory: z.object({ total: Bytes, used: Bytes, available: Bytes, swapTotal: Bytes, swapUsed: Bytes }),
  filesystems: z
    .array(z.object({ mount: Name, fstype: z.string().check(z.maxLength(64)), total: Bytes, used: Bytes }))
    .check(z.maxLength(256)),
  disk: z.object({
    readBps: Rate,
    writeBps: Rate,
    devices: z.array(z.object({ name: Name, readBps: Rate, writeBps: Rate })).check(z.maxLength(256)),
  }),
  network: z.object({
    rxBps: Rate,
    txBps: Rate,
    interfaces: z.array(z.object({ name: Name, rxBps: Rate, txBps: Rate })).check(z.maxLength(256)),
  }),
  uptime: NonNegative,
  processes: z.object({
    count: z.int().check(z.nonnegative()),
    topCpu: z.array(ProcessInfo).check(z.maxLength(10)),
    topMemory: z.array(ProcessInfo).check(z.maxLength(10)),
  }),
  /** The host's containers (Docker Engine API); absent when the agent has no engine or is older. */
  containers: z.optional(z.array(ContainerInfo).check(z.maxLength(MAX_CONTAINERS_PER_SAMPLE))),
});
export type MetricsSample = z.infer<typeof MetricsSample>;

/** The scalar series kept in history and rolled up (min, max, avg, last per bucket). */
export const METRIC_SERIES = [
  'cpu',
  'memory',
  'swap',
  'disk',
  'diskRead',
  'diskWrite',
  'netRx',
  'netTx',
  'load1',
  'load5',
  'load15',
] as const;
export type MetricSeries = (typeof METRIC_SERIES)[number];
export type SeriesValues = Record<MetricSeries, number>;

function percent(part: number, whole: number): number {
  return whole > 0 ? Math.min(100, (part / whole) * 100) : 0;
}

/**
 * The scalar figures of a sample: cpu %, memory % (used of total), swap %, disk % (the fullest
 * filesystem), disk read/write bytes/s, network rx/tx bytes/s, load averages.
 */
export function extractSeries(sample: MetricsSample): SeriesValues {
  let disk = 0;
  for (const fs of sample.filesystems) disk = Math.max(disk, percent(fs.used, fs.total));
  return {
    cpu: sample.cpu.total,
    memory: percent(sample.memory.used, sample.memory.total),
    swap: percent(sample.memory.swapUsed, sample.memory.swapTotal),
    disk,
    diskRead: sample.disk.readBps,
    diskWrite: sample.disk.writeBps,
    netRx: sample.network.rxBps,
    netTx: sample.network.txBps,
    load1: sample.load[0],
    load5: sample.load[1],
    load15: sample.load[2],
  };
}

export const RESOLUTIONS = ['raw', '1m', '1h'] as const;
export const Resolution = z.enum(RESOLUTIONS);
export type Resolution = z.infer<typeof Resolution>;

/** One series in a history response; for `raw`, min = max = avg = last. */
export const SeriesColumns = z.object({
  avg: z.array(z.nullable(z.number())),
  min: z.array(z.nullable(z.number())),
  max: z.array(z.nullable(z.number())),
  last: z.array(z.nullable(z.number())),
});
export type SeriesColumns = z.infer<typeof SeriesColumns>;

/**
 * `GET /api/hosts/:hostId/metrics` response: columnar, one timestamp column `t` (ms) and per series
 * four columns of the same length.
 */
export const MetricsHistory = z.object({
  hostId: z.string(),
  resolution: Resolution,
  stepMs: z.int().check(z.nonnegative()),
  from: Timestamp,
  to: Timestamp,
  t: z.array(Timestamp),
  series: z.record(z.enum(METRIC_SERIES), SeriesColumns),
});
export type MetricsHistory = z.infer<typeof MetricsHistory>;

/** The latest figures of a host, for the fleet view (`GET /api/orgs/:orgId/hosts`, `host.summary`). */
export const HostSummary = z.object({
  ts: Timestamp,
  cpu: z.number(),
  memory: z.number(),
  disk: z.number(),
  load1: z.number(),
  /** How many containers the host has and how many are down (absent: no engine, or an older agent). */
  containers: z.optional(
    z.object({ total: z.int().check(z.nonnegative()), down: z.int().check(z.nonnegative()) }),
  ),
});
export type HostSummary = z.infer<typeof HostSummary>;

export function summarizeSample(sample: MetricsSample): HostSummary {
  const s = extractSeries(sample);
  const summary: HostSummary = { ts: sample.ts, cpu: s.cpu, memory: s.memory, disk: s.disk, load1: s.load1 };
  if (sample.containers) {
    summary.containers = {
      total: sample.containers.length,
      down: sample.containers.filter((c) => isContainerDown(c)).length,
    };
  }
  return summary;
}
