/** @module realtime/history — answers a time range with about 1,000 points from raw samples or rollups. */
import {
  METRIC_SERIES,
  type MetricSeries,
  type MetricsHistory,
  type Resolution,
  type SeriesColumns,
} from '@hostwire/protocol';
import type { Config } from '../config.js';
import type { Store } from '../store/index.js';
import { ROLLUP_BUCKET_MS, type RollupValues } from '../store/repositories/metrics.js';

export const TARGET_POINTS = 1000;
const RAW_ROW_LIMIT = 20_000;

interface Bucket {
  t: number;
  values: RollupValues;
}

/** Chooses the coarsest data that still gives `stepMs`-wide points: raw below 1 min, 1m below 1 h, else 1h. */
export function chooseResolution(
  from: number,
  to: number,
  now: number,
  requestedStep: number | undefined,
  config: Config['metrics'],
): { resolution: Resolution; stepMs: number } {
  const stepMs = Math.max(requestedStep ?? 0, Math.ceil((to - from) / TARGET_POINTS));
  if (stepMs < ROLLUP_BUCKET_MS['1m'] && from >= now - config.rawRetentionMs)
    return { resolution: 'raw', stepMs };
  // Steps are whole multiples of the rollup bucket, so a point never straddles a bucket.
  const roundUp = (bucket: number) => Math.max(bucket, Math.ceil(stepMs / bucket) * bucket);
  if (stepMs < ROLLUP_BUCKET_MS['1h'] && from >= now - config.minuteRetentionMs)
    return { resolution: '1m', stepMs: roundUp(ROLLUP_BUCKET_MS['1m']) };
  return { resolution: '1h', stepMs: roundUp(ROLLUP_BUCKET_MS['1h']) };
}

function merge(into: RollupValues | undefined, add: RollupValues): RollupValues {
  if (!into) return structuredClone(add);
  for (const name of METRIC_SERIES) {
    const a = into[name];
    const b = add[name];
    if (!b) continue;
    if (!a) {
      into[name] = { ...b };
      continue;
    }
    a.min = Math.min(a.min, b.min);
    a.max = Math.max(a.max, b.max);
    a.sum += b.sum;
    a.count += b.count;
    if (b.lastTs >= a.lastTs) {
      a.last = b.last;
      a.lastTs = b.lastTs;
    }
  }
  return into;
}

/** Groups points into `stepMs` buckets (a no-op when each point already has its own bucket). */
function regroup(points: Bucket[], stepMs: number): Bucket[] {
  if (stepMs <= 0) return points;
  const out: Bucket[] = [];
  for (const p of points) {
    const t = Math.floor(p.t / stepMs) * stepMs;
    const last = out[out.length - 1];
    if (last && last.t === t) last.values = merge(last.values, p.values);
    else out.push({ t, values: structuredClone(p.values) });
  }
  return out;
}

function toColumns(points: Bucket[]): Record<MetricSeries, SeriesColumns> {
  const series = {} as Record<MetricSeries, SeriesColumns>;
  for (const name of METRIC_SERIES) {
    const cols: SeriesColumns = { avg: [], min: [], max: [], last: [] };
    for (const p of points) {
      const agg = p.values[name];
      cols.avg.push(agg ? agg.sum / agg.count : null);
      cols.min.push(agg ? agg.min : null);
      cols.max.push(agg ? agg.max : null);
      cols.last.push(agg ? agg.last : null);
    }
    series[name] = cols;
  }
  return series;
}

export async function queryHistory(
  store: Store,
  config: Config['metrics'],
  hostId: string,
  from: number,
  to: number,
  step?: number,
  now = Date.now(),
): Promise<MetricsHistory> {
  const { resolution, stepMs } = chooseResolution(from, to, now, step, config);
  let points: Bucket[];
  if (resolution === 'raw') {
    const samples = await store.metrics.raw(hostId, from, to, RAW_ROW_LIMIT);
    points = samples.map((s) => {
      const values = {} as RollupValues;
      for (const name of METRIC_SERIES) {
        const v = s.values[name];
        values[name] = { min: v, max: v, sum: v, count: 1, last: v, lastTs: s.ts };
      }
      return { t: s.ts, values };
    });
    // Keep raw timestamps when they already fit; bucket only when there are more points than wanted.
    if (points.length > TARGET_POINTS) points = regroup(points, stepMs);
  } else {
    const rows = await store.metrics.rollups(hostId, resolution, from, to);
    points = regroup(
      rows.map((r) => ({ t: r.bucket, values: r.values })),
      stepMs > ROLLUP_BUCKET_MS[resolution] ? stepMs : 0,
    );
  }
  return {
    hostId,
    resolution,
    stepMs: resolution === 'raw' && points.length <= TARGET_POINTS ? 0 : stepMs,
    from,
    to,
    t: points.map((p) => p.t),
    series: toColumns(points),
  };
}
