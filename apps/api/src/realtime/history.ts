/** @module realtime/history — answers a time range with about 1,000 points from raw samples or rollups. */
import { METRIC_SERIES, type MetricsHistory } from '@hostwire/protocol';
import type { Config } from '../config.js';
import type { Store } from '../store/index.js';
import { RAW_ROW_LIMIT, chooseResolution, rawPoint, shapeHistory } from './series-history.js';

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
  const points =
    resolution === 'raw'
      ? (await store.metrics.raw(hostId, from, to, RAW_ROW_LIMIT)).map((s) =>
          rawPoint(METRIC_SERIES, s.ts, (name) => s.values[name]),
        )
      : (await store.metrics.rollups(hostId, resolution, from, to)).map((r) => ({
          t: r.bucket,
          values: r.values,
        }));
  const shaped = shapeHistory(METRIC_SERIES, resolution, stepMs, points);
  return { hostId, resolution, stepMs: shaped.stepMs, from, to, t: shaped.t, series: shaped.series };
}
