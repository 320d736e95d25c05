/** @module realtime/container-history — one container's series over a range, shaped like a host's history. */
import {
  CONTAINER_SERIES,
  type ContainerMetricsHistory,
  type ContainerSeries,
  type SeriesColumns,
} from '@hostwire/protocol';
import type { Config } from '../config.js';
import type { Store } from '../store/index.js';
import type { ContainerAggregates } from '../store/repositories/container-metrics.js';
import { ROLLUP_BUCKET_MS } from '../store/repositories/metrics.js';
import { TARGET_POINTS, chooseResolution } from './history.js';

const RAW_ROW_LIMIT = 20_000;

interface Point {
  t: number;
  values: ContainerAggregates;
}

function mergeInto(into: ContainerAggregates, add: ContainerAggregates): void {
  for (const name of CONTAINER_SERIES) {
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

function regroup(points: Point[], stepMs: number): Point[] {
  if (stepMs <= 0) return points;
  const out: Point[] = [];
  for (const p of points) {
    const t = Math.floor(p.t / stepMs) * stepMs;
    const last = out[out.length - 1];
    if (last && last.t === t) mergeInto(last.values, p.values);
    else out.push({ t, values: structuredClone(p.values) });
  }
  return out;
}

function toColumns(points: Point[]): Record<ContainerSeries, SeriesColumns> {
  const series = {} as Record<ContainerSeries, SeriesColumns>;
  for (const name of CONTAINER_SERIES) {
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

/** The history of container `name` on `hostId`: raw samples or rollups, chosen as for the host. */
export async function queryContainerHistory(
  store: Store,
  config: Config['metrics'],
  hostId: string,
  name: string,
  range: { from: number; to: number; step?: number | undefined },
  now = Date.now(),
): Promise<ContainerMetricsHistory> {
  const { from, to } = range;
  const { resolution, stepMs } = chooseResolution(from, to, now, range.step, config);
  let points: Point[];
  if (resolution === 'raw') {
    const rows = await store.containers.raw(hostId, name, from, to, RAW_ROW_LIMIT);
    points = rows.map((r) => {
      const values = {} as ContainerAggregates;
      CONTAINER_SERIES.forEach((series, i) => {
        const v = r.values[i] ?? 0;
        values[series] = { min: v, max: v, sum: v, count: 1, last: v, lastTs: r.ts };
      });
      return { t: r.ts, values };
    });
    if (points.length > TARGET_POINTS) points = regroup(points, stepMs);
  } else {
    const rows = await store.containers.rollups(hostId, name, resolution, from, to);
    points = regroup(
      rows.map((r) => ({ t: r.bucket, values: r.values })),
      stepMs > ROLLUP_BUCKET_MS[resolution] ? stepMs : 0,
    );
  }
  return {
    hostId,
    container: name,
    resolution,
    stepMs: resolution === 'raw' && points.length <= TARGET_POINTS ? 0 : stepMs,
    from,
    to,
    t: points.map((p) => p.t),
    series: toColumns(points),
  };
}
