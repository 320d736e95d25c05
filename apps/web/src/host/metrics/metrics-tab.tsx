/** @module metrics-tab — history for the chosen range, continued live for short ranges, and top processes. */
import { extractSeries, topicFor, type MetricsSample, type Resolution } from '@hostwire/protocol';
import { useEffect, useState } from 'react';
import { api } from '../../api/endpoints.js';
import { errorMessage } from '../../api/http.js';
import { ErrorText } from '../../components/bits.js';
import { useRealtimeMessages, useResync } from '../../realtime/realtime-context.js';
import { appendSample, historyToChartData, type ChartData } from './chart-data.js';
import { CHARTS, RANGES, type ChartSpec, type RangeSpec } from './chart-specs.js';
import { ProcessTables } from './process-table.js';
import { UPlotChart } from './uplot-chart.js';

interface ChartsState {
  rangeId: string;
  resolution: Resolution;
  window: { from: number; to: number };
  byChart: Record<ChartSpec['id'], ChartData>;
}

function chartsFor(build: (spec: ChartSpec) => ChartData): ChartsState['byChart'] {
  const out = {} as ChartsState['byChart'];
  for (const spec of CHARTS) out[spec.id] = build(spec);
  return out;
}

const DEFAULT_RANGE = RANGES[1] as RangeSpec;

/** The metrics tab of a host. */
export function MetricsTab({ hostId }: { hostId: string }) {
  const [range, setRange] = useState<RangeSpec>(DEFAULT_RANGE);
  const [charts, setCharts] = useState<ChartsState | null>(null);
  const [latest, setLatest] = useState<MetricsSample | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    const to = Date.now();
    const from = to - range.ms;
    api
      .metrics(hostId, from, to, controller.signal)
      .then((history) => {
        setCharts({
          rangeId: range.id,
          resolution: history.resolution,
          window: { from, to },
          byChart: chartsFor((spec) => historyToChartData(history, spec.keys)),
        });
        setError(null);
      })
      .catch((e: unknown) => {
        if (!controller.signal.aborted) setError(errorMessage(e));
      });
    return () => controller.abort();
  }, [hostId, range, reload]);

  useRealtimeMessages((message) => {
    if (message.type !== 'metrics' || message.hostId !== hostId) return;
    const sample = message.sample;
    setLatest(sample);
    if (!range.live) return;
    const values = extractSeries(sample);
    const to = Math.max(Date.now(), sample.ts);
    const from = to - range.ms;
    setCharts((current) => {
      if (!current || current.rangeId !== range.id) return current;
      return {
        ...current,
        window: { from, to },
        byChart: chartsFor((spec) => appendSample(current.byChart[spec.id], sample.ts, values, from)),
      };
    });
  });
  // A reconnect or gap may have lost samples: fetch the window again.
  useResync((topics) => {
    if (topics === null || topics.includes(topicFor.host(hostId))) setReload((n) => n + 1);
  });

  return (
    <div className="metrics">
      <div className="toolbar">
        <div className="segmented" role="group" aria-label="Time range">
          {RANGES.map((r) => (
            <button
              key={r.id}
              type="button"
              className={r.id === range.id ? 'segment active' : 'segment'}
              aria-pressed={r.id === range.id}
              data-testid={`range-${r.id}`}
              onClick={() => setRange(r)}
            >
              {r.label}
            </button>
          ))}
        </div>
        {charts ? (
          <span className="muted small" data-testid="metrics-resolution">
            {charts.resolution === 'raw' ? 'raw samples' : `${charts.resolution} rollups (band: min–max)`}
            {range.live ? ' · live' : ''}
          </span>
        ) : null}
      </div>
      <ErrorText message={error} />
      {charts ? (
        <div className="chart-grid">
          {CHARTS.map((spec) => (
            <UPlotChart key={spec.id} spec={spec} data={charts.byChart[spec.id]} timeWindow={charts.window} />
          ))}
        </div>
      ) : error ? null : (
        <p className="loading" role="status">
          Loading metrics…
        </p>
      )}
      <h2 className="section-title">Top processes</h2>
      <ProcessTables sample={latest} />
    </div>
  );
}
