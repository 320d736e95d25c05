/**
 * @module metrics-tab — history for the chosen range (kept in the URL), continued live for short ranges;
 * drag-to-zoom shared by every chart; per-core, per-filesystem, per-disk and per-interface series from
 * live samples; top processes.
 */
import { extractSeries, topicFor, type MetricsSample, type Resolution } from '@hostwire/protocol';
import { useCallback, useEffect, useState } from 'react';
import { api } from '../../api/endpoints.js';
import { errorMessage } from '../../api/http.js';
import { ErrorText } from '../../components/bits.js';
import { useRealtimeMessages, useResync } from '../../realtime/realtime-context.js';
import { setSearchParam, useSearchParam } from '../../router/router.js';
import { formatDateTime } from '../../util/format.js';
import { appendSample, historyToChartData, type ChartData } from './chart-data.js';
import { CHARTS, RANGES, type ChartSpec, type RangeSpec } from './chart-specs.js';
import { BREAKDOWN_OF, breakdownView, viewOfHistory } from './chart-view.js';
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
/** An alert's link shows this long before and after its moment. */
const AROUND_MS = 30 * 60_000;
/** Live samples kept for the per-entity series (an hour at 1 s). */
const MAX_LIVE_SAMPLES = 3600;

/** The metrics tab of a host. */
export function MetricsTab({ hostId }: { hostId: string }) {
  const rangeParam = useSearchParam('range');
  const range = RANGES.find((r) => r.id === rangeParam) ?? DEFAULT_RANGE;
  // `?at=<ms>` (an alert's link): the hour around that moment, not live, until a range is chosen.
  const atParam = useSearchParam('at');
  const at = atParam !== null && /^\d{1,15}$/.test(atParam) ? Number(atParam) : null;
  const setRange = (r: RangeSpec) => {
    setSearchParam('at', null);
    setSearchParam('range', r.id === DEFAULT_RANGE.id ? null : r.id);
  };
  const [charts, setCharts] = useState<ChartsState | null>(null);
  const [samples, setSamples] = useState<readonly MetricsSample[]>([]);
  const [zoom, setZoom] = useState<{ from: number; to: number } | null>(null);
  const [breakdowns, setBreakdowns] = useState<ReadonlySet<ChartSpec['id']>>(new Set());
  const [error, setError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  const latest = samples[samples.length - 1] ?? null;

  useEffect(() => {
    const controller = new AbortController();
    const now = Date.now();
    const to = at === null ? now : Math.min(now, at + AROUND_MS);
    const from = at === null ? to - range.ms : at - AROUND_MS;
    setZoom(null);
    api
      .metrics(hostId, from, to, controller.signal)
      .then((history) => {
        setCharts({
          rangeId: at === null ? range.id : `at:${at}`,
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
  }, [hostId, range, reload, at]);

  useRealtimeMessages((message) => {
    if (message.type !== 'metrics' || message.hostId !== hostId) return;
    const sample = message.sample;
    setSamples((list) => {
      const last = list[list.length - 1];
      if (last && sample.ts <= last.ts) return list;
      const next = [...list, sample];
      return next.length > MAX_LIVE_SAMPLES ? next.slice(next.length - MAX_LIVE_SAMPLES) : next;
    });
    if (!range.live || at !== null) return;
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

  const onZoom = useCallback((next: { from: number; to: number } | null) => setZoom(next), []);
  const toggleBreakdown = (id: ChartSpec['id']) =>
    setBreakdowns((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  const shownWindow = zoom ?? charts?.window ?? null;
  const liveWindow = samples.length > 0 ? { from: samples[0]?.ts ?? 0, to: Date.now() } : null;

  return (
    <div className="metrics">
      <div className="toolbar">
        <div className="segmented" role="group" aria-label="Time range">
          {RANGES.map((r) => (
            <button
              key={r.id}
              type="button"
              className={r.id === range.id && at === null ? 'segment active' : 'segment'}
              aria-pressed={r.id === range.id && at === null}
              data-testid={`range-${r.id}`}
              onClick={() => setRange(r)}
            >
              {r.label}
            </button>
          ))}
        </div>
        {at !== null ? (
          <span className="zoomed" data-testid="metrics-at">
            <span className="small">Around {formatDateTime(at)}</span>
            <button type="button" className="button small ghost" onClick={() => setSearchParam('at', null)}>
              Back to live
            </button>
          </span>
        ) : null}
        {charts ? (
          <span className="muted small" data-testid="metrics-resolution">
            {charts.resolution === 'raw' ? 'raw samples' : `${charts.resolution} rollups (band: min–max)`}
            {range.live && at === null ? ' · live' : ''}
          </span>
        ) : null}
        {zoom ? (
          <span className="zoomed" data-testid="zoom-state">
            <span className="muted small">
              {formatDateTime(zoom.from)} – {formatDateTime(zoom.to)}
            </span>
            <button
              type="button"
              className="button small ghost"
              onClick={() => setZoom(null)}
              data-testid="zoom-reset"
            >
              Reset zoom
            </button>
          </span>
        ) : (
          <span className="muted small hint-zoom">Drag across a chart to zoom; double-click resets.</span>
        )}
      </div>
      <ErrorText message={error} />
      {charts && shownWindow ? (
        <div className="chart-grid">
          {CHARTS.map((spec) => {
            const breakdown = BREAKDOWN_OF[spec.id];
            const split =
              breakdown && breakdowns.has(spec.id) ? breakdownView(samples, breakdown.kind) : null;
            return (
              <UPlotChart
                key={spec.id}
                id={spec.id}
                title={spec.title}
                unit={spec.unit}
                view={split ? split.view : viewOfHistory(charts.byChart[spec.id], spec)}
                timeWindow={split ? (zoom ?? liveWindow ?? shownWindow) : shownWindow}
                syncKey={`host:${hostId}`}
                onZoom={onZoom}
                controls={
                  breakdown ? (
                    <label className="series-pick">
                      <input
                        type="checkbox"
                        checked={breakdowns.has(spec.id)}
                        onChange={() => toggleBreakdown(spec.id)}
                        data-testid={`breakdown-${spec.id}`}
                      />{' '}
                      {breakdown.label}
                    </label>
                  ) : null
                }
                note={
                  split
                    ? `Live samples since this page opened${split.omitted > 0 ? `; ${split.omitted} more series not drawn` : ''}.`
                    : undefined
                }
              />
            );
          })}
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
