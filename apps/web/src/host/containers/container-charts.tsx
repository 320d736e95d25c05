/**
 * @module container-charts — one container's charts (CPU, memory, network, block I/O) with the host
 * charts' component: its history for the chosen range, continued by live samples for short ranges.
 */
import {
  extractContainerSeries,
  type ContainerMetricsHistory,
  type ContainerSeries,
} from '@hostwire/protocol';
import { useCallback, useEffect, useState } from 'react';
import { api } from '../../api/endpoints.js';
import { errorMessage } from '../../api/http.js';
import { ErrorText } from '../../components/bits.js';
import { useRealtimeMessages } from '../../realtime/realtime-context.js';
import { RANGES, type ChartUnit, type RangeSpec } from '../metrics/chart-specs.js';
import type { ChartView } from '../metrics/chart-view.js';
import { UPlotChart } from '../metrics/uplot-chart.js';

interface ContainerChartSpec {
  id: string;
  title: string;
  keys: readonly ContainerSeries[];
  labels: readonly string[];
  unit: ChartUnit;
}

const CONTAINER_CHARTS: readonly ContainerChartSpec[] = [
  { id: 'cpu', title: 'CPU (% of one core)', keys: ['cpu'], labels: ['CPU'], unit: 'number' },
  { id: 'memory', title: 'Memory', keys: ['memory'], labels: ['Memory'], unit: 'bytes' },
  { id: 'network', title: 'Network', keys: ['netRx', 'netTx'], labels: ['Received', 'Sent'], unit: 'rate' },
  {
    id: 'blockio',
    title: 'Block I/O',
    keys: ['blockRead', 'blockWrite'],
    labels: ['Read', 'Write'],
    unit: 'rate',
  },
];

/** The ranges offered for a container (the host's shorter ones). */
const CONTAINER_RANGES = RANGES.filter((r) => ['15m', '1h', '24h', '7d'].includes(r.id));
const DEFAULT_RANGE = CONTAINER_RANGES[0] as RangeSpec;

/** Every container series as one view column each (avg), in CONTAINER_SERIES order of the chart keys. */
function viewOf(history: ContainerMetricsHistory, spec: ContainerChartSpec): ChartView {
  const xs = history.t.map((t) => t / 1000);
  const columns = spec.keys.map((key) => xs.map((_, i) => history.series[key]?.avg[i] ?? null));
  return {
    columns: [xs, ...columns],
    lines: spec.keys.map((key, i) => ({ column: i + 1, label: spec.labels[i] ?? key })),
    hidden: [],
    bands: [],
  };
}

function appendPoint(
  view: ChartView,
  ts: number,
  values: Record<ContainerSeries, number>,
  spec: ContainerChartSpec,
  fromMs: number,
): ChartView {
  const [xs, ...rest] = view.columns;
  const x = ts / 1000;
  const last = xs[xs.length - 1];
  if (last !== undefined && x <= last) return view;
  let cut = 0;
  while (cut < xs.length && (xs[cut] ?? 0) < fromMs / 1000) cut++;
  const nextXs = [...xs.slice(cut), x];
  const nextColumns = rest.map((column, i) => {
    const key = spec.keys[i];
    return [...column.slice(cut), key ? values[key] : null];
  });
  return { ...view, columns: [nextXs, ...nextColumns] };
}

/** The charts of container `name` on host `hostId`. */
export function ContainerCharts({ hostId, name }: { hostId: string; name: string }) {
  const [range, setRange] = useState<RangeSpec>(DEFAULT_RANGE);
  const [views, setViews] = useState<{ window: { from: number; to: number }; byChart: ChartView[] } | null>(
    null,
  );
  const [zoom, setZoom] = useState<{ from: number; to: number } | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    const to = Date.now();
    const from = to - range.ms;
    setZoom(null);
    api
      .containerMetrics(hostId, name, from, to, controller.signal)
      .then((history) => {
        setViews({ window: { from, to }, byChart: CONTAINER_CHARTS.map((spec) => viewOf(history, spec)) });
        setError(null);
      })
      .catch((e: unknown) => {
        if (!controller.signal.aborted) setError(errorMessage(e));
      });
    return () => controller.abort();
  }, [hostId, name, range]);

  useRealtimeMessages((message) => {
    if (message.type !== 'metrics' || message.hostId !== hostId || !range.live) return;
    const container = message.sample.containers?.find((c) => c.name === name);
    if (!container) return;
    const values = extractContainerSeries(container);
    const ts = message.sample.ts;
    const to = Math.max(Date.now(), ts);
    const from = to - range.ms;
    setViews((current) =>
      current
        ? {
            window: { from, to },
            byChart: current.byChart.map((view, i) => {
              const spec = CONTAINER_CHARTS[i];
              return spec ? appendPoint(view, ts, values, spec, from) : view;
            }),
          }
        : current,
    );
  });

  const onZoom = useCallback((next: { from: number; to: number } | null) => setZoom(next), []);
  const shown = zoom ?? views?.window ?? null;

  return (
    <section className="container-charts" aria-label={`Charts of ${name}`} data-testid="container-charts">
      <div className="toolbar">
        <h2 className="section-title">{name}</h2>
        <div className="segmented" role="group" aria-label="Time range">
          {CONTAINER_RANGES.map((r) => (
            <button
              key={r.id}
              type="button"
              className={r.id === range.id ? 'segment active' : 'segment'}
              aria-pressed={r.id === range.id}
              onClick={() => setRange(r)}
            >
              {r.label}
            </button>
          ))}
        </div>
      </div>
      <ErrorText message={error} />
      {views && shown ? (
        <div className="chart-grid">
          {CONTAINER_CHARTS.map((spec, i) => {
            const view = views.byChart[i];
            return view ? (
              <UPlotChart
                key={spec.id}
                id={`container-${spec.id}`}
                title={spec.title}
                unit={spec.unit}
                view={view}
                timeWindow={shown}
                syncKey={`container:${hostId}:${name}`}
                onZoom={onZoom}
              />
            ) : null;
          })}
        </div>
      ) : error ? null : (
        <p className="loading" role="status">
          Loading charts…
        </p>
      )}
    </section>
  );
}
