/** @module realtime/container-history — one container's series over a range, shaped like a host's history. */
import { CONTAINER_SERIES, type ContainerMetricsHistory } from '@hostwire/protocol';
import type { Config } from '../config.js';
import type { Store } from '../store/index.js';
import { RAW_ROW_LIMIT, chooseResolution, rawPoint, shapeHistory } from './series-history.js';

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
  const points =
    resolution === 'raw'
      ? (await store.containers.raw(hostId, name, from, to, RAW_ROW_LIMIT)).map((r) =>
          rawPoint(CONTAINER_SERIES, r.ts, (_, i) => r.values[i] ?? 0),
        )
      : (await store.containers.rollups(hostId, name, resolution, from, to)).map((r) => ({
          t: r.bucket,
          values: r.values,
        }));
  const shaped = shapeHistory(CONTAINER_SERIES, resolution, stepMs, points);
  return {
    hostId,
    container: name,
    resolution,
    stepMs: shaped.stepMs,
    from,
    to,
    t: shaped.t,
    series: shaped.series,
  };
}
