/** @module uplot-chart — one uPlot chart sized to its container, with min/max bands and its own legend. */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ChartData } from './chart-data.js';
import { SERIES_COLORS, formatValue, withAlpha, type ChartSpec } from './chart-specs.js';

const HEIGHT = 180;

function cssVar(name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

function buildOptions(spec: ChartSpec, data: ChartData, width: number): uPlot.Options {
  const axis = cssVar('--chart-axis', '#8a94a6');
  const grid = cssVar('--chart-grid', 'rgba(128,128,128,0.15)');
  const color = (key: string) =>
    SERIES_COLORS[Math.max(0, spec.keys.indexOf(key as never))] ?? SERIES_COLORS[0];
  const yRange: uPlot.Scale.Range =
    spec.unit === 'percent'
      ? [0, 100]
      : (_u, _min, max) => [0, Math.max(spec.unit === 'rate' ? 1024 : 1, max * 1.1)];
  return {
    width,
    height: HEIGHT,
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, y: { range: yRange } },
    axes: [
      { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } },
      {
        stroke: axis,
        grid: { stroke: grid, width: 1 },
        ticks: { stroke: grid, width: 1 },
        size: spec.unit === 'rate' ? 76 : 50,
        values: (_u, values) =>
          values.map((v) => (spec.unit === 'percent' ? `${Math.round(v)}%` : formatValue(spec.unit, v))),
      },
    ],
    series: [
      {},
      ...data.series.map((ref): uPlot.Series => {
        const label = spec.labels[spec.keys.indexOf(ref.key)] ?? ref.key;
        // Points use uPlot's default: drawn while the data is sparse, hidden once it is dense.
        if (ref.role === 'avg') return { label, stroke: color(ref.key), width: 1.5 };
        return { label: `${label} ${ref.role}`, stroke: 'transparent', width: 0, points: { show: false } };
      }),
    ],
    bands: data.bands.map((band) => {
      const ref = data.series[band.upper - 1];
      return { series: [band.upper, band.lower], fill: withAlpha(color(ref?.key ?? ''), 0.18) };
    }),
  };
}

/** Props of <UPlotChart>. */
export interface UPlotChartProps {
  spec: ChartSpec;
  data: ChartData;
  /** The visible time window in ms. */
  timeWindow: { from: number; to: number };
}

/** A chart that follows `data`; uPlot is rebuilt only when the series layout changes. */
export function UPlotChart({ spec, data, timeWindow }: UPlotChartProps) {
  const holder = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef({ data, window: timeWindow });
  useEffect(() => {
    latest.current = { data, window: timeWindow };
  });
  const layoutKey = `${spec.id}:${data.series.length}`;

  useEffect(() => {
    const element = holder.current;
    if (!element) return;
    const u = new uPlot(
      buildOptions(spec, latest.current.data, element.clientWidth || 300),
      latest.current.data.columns,
      element,
    );
    plot.current = u;
    const { from, to } = latest.current.window;
    u.setScale('x', { min: from / 1000, max: to / 1000 });
    const observer = new ResizeObserver((entries) => {
      const width = Math.floor(entries[0]?.contentRect.width ?? 0);
      if (width > 0 && width !== u.width) u.setSize({ width, height: HEIGHT });
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      u.destroy();
      plot.current = null;
    };
    // Only a layout change needs a new uPlot (the key covers it); data and window are applied below.
  }, [layoutKey]);

  useEffect(() => {
    const u = plot.current;
    if (!u) return;
    u.setData(data.columns);
    u.setScale('x', { min: timeWindow.from / 1000, max: timeWindow.to / 1000 });
  }, [data, timeWindow]);

  const lastIndex = data.columns[0].length - 1;
  return (
    <figure className="chart card" data-testid={`chart-${spec.id}`} data-points={data.columns[0].length}>
      <figcaption className="chart-head">
        <h3>{spec.title}</h3>
        <ul className="legend">
          {spec.keys.map((key, i) => {
            const column = data.columns[i + 1];
            return (
              <li key={key}>
                <span className="swatch" style={{ background: SERIES_COLORS[i] }} aria-hidden="true" />
                {spec.labels[i]}{' '}
                <strong>{formatValue(spec.unit, lastIndex >= 0 ? column?.[lastIndex] : null)}</strong>
              </li>
            );
          })}
        </ul>
      </figcaption>
      <div ref={holder} className="chart-canvas" role="img" aria-label={`${spec.title} chart`} />
    </figure>
  );
}
