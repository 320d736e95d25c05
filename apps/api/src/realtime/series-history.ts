/**
 * @module realtime/series-history — the rule both histories (a host's, a container's) share: which data
 * answers a range, how points are grouped into steps, and how they become columns.
 */
import type { Resolution, SeriesColumns } from '@hostwire/protocol';
import type { Config } from '../config.js';
import { ROLLUP_BUCKET_MS, type Aggregate } from '../store/repositories/rollups.js';

export const TARGET_POINTS = 1000;
export const RAW_ROW_LIMIT = 20_000;

/** One point of a history: per series, its aggregate over the point. */
export interface HistoryPoint<S extends string> {
  t: number;
  values: Record<S, Aggregate>;
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

/** A raw sample as a point: each series one value (`valueOf(name, index)`). */
export function rawPoint<S extends string>(
  series: readonly S[],
  ts: number,
  valueOf: (name: S, index: number) => number,
): HistoryPoint<S> {
  const values = {} as Record<S, Aggregate>;
  series.forEach((name, i) => {
    const v = valueOf(name, i);
    values[name] = { min: v, max: v, sum: v, count: 1, last: v, lastTs: ts };
  });
  return { t: ts, values };
}

function mergeInto<S extends string>(
  series: readonly S[],
  into: Record<S, Aggregate>,
  add: Record<S, Aggregate>,
): void {
  for (const name of series) {
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
}

/** Groups points into `stepMs` buckets (a no-op when each point already has its own bucket). */
function regroup<S extends string>(
  series: readonly S[],
  points: HistoryPoint<S>[],
  stepMs: number,
): HistoryPoint<S>[] {
  if (stepMs <= 0) return points;
  const out: HistoryPoint<S>[] = [];
  for (const p of points) {
    const t = Math.floor(p.t / stepMs) * stepMs;
    const last = out[out.length - 1];
    if (last && last.t === t) mergeInto(series, last.values, p.values);
    else out.push({ t, values: structuredClone(p.values) });
  }
  return out;
}

function toColumns<S extends string>(
  series: readonly S[],
  points: HistoryPoint<S>[],
): Record<S, SeriesColumns> {
  const out = {} as Record<S, SeriesColumns>;
  for (const name of series) {
    const cols: SeriesColumns = { avg: [], min: [], max: [], last: [] };
    for (const p of points) {
      const agg = p.values[name];
      cols.avg.push(agg ? agg.sum / agg.count : null);
      cols.min.push(agg ? agg.min : null);
      cols.max.push(agg ? agg.max : null);
      cols.last.push(agg ? agg.last : null);
    }
    out[name] = cols;
  }
  return out;
}

/**
 * Shapes the points read at `resolution` (raw samples or rollup buckets, oldest first) into a history's
 * step and columns.
 */
export function shapeHistory<S extends string>(
  series: readonly S[],
  resolution: Resolution,
  stepMs: number,
  read: HistoryPoint<S>[],
): { stepMs: number; t: number[]; series: Record<S, SeriesColumns> } {
  let points: HistoryPoint<S>[];
  if (resolution === 'raw') {
    // Keep raw timestamps when they already fit; bucket only when there are more points than wanted.
    points = read.length > TARGET_POINTS ? regroup(series, read, stepMs) : read;
  } else {
    points = regroup(series, read, stepMs > ROLLUP_BUCKET_MS[resolution] ? stepMs : 0);
  }
  return {
    stepMs: resolution === 'raw' && points.length <= TARGET_POINTS ? 0 : stepMs,
    t: points.map((p) => p.t),
    series: toColumns(series, points),
  };
}
