/**
 * @module uplot-chart — one uPlot chart sized to its container: min/max bands, a hover tooltip with the
 * time and every line's value, a crosshair synced across the host's charts, drag to zoom (double-click
 * resets), round ticks, and its own legend.
 */
import { useEffect, useRef, type ReactNode } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatDateTime } from '../../util/format.js';
import { SERIES_COLORS, formatTick, formatValue, withAlpha, type ChartUnit } from './chart-specs.js';
import { tickIncrements, type ChartView } from './chart-view.js';

const HEIGHT = 180;
/** A drag narrower than this is a click, not a zoom. */
const MIN_ZOOM_PX = 8;

function cssVar(name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

const colorOf = (line: number) => SERIES_COLORS[line % SERIES_COLORS.length] ?? SERIES_COLORS[0];

/** Props of <UPlotChart>. */
export interface UPlotChartProps {
  id: string;
  title: string;
  unit: ChartUnit;
  view: ChartView;
  /** The visible time window in ms. */
  timeWindow: { from: number; to: number };
  /** Charts with the same key share one crosshair. */
  syncKey: string;
  /** A drag selected [from, to] ms; null on double-click (reset). */
  onZoom: (range: { from: number; to: number } | null) => void;
  /** Controls shown in the header (the series picker). */
  controls?: ReactNode;
  /** A note under the chart. */
  note?: string;
}

interface Latest {
  view: ChartView;
  window: { from: number; to: number };
  unit: ChartUnit;
  onZoom: UPlotChartProps['onZoom'];
}

function buildOptions(
  props: UPlotChartProps,
  width: number,
  latest: { current: Latest },
  tooltip: HTMLElement,
  ticks: HTMLElement,
) {
  const { view, unit, syncKey } = props;
  const axis = cssVar('--chart-axis', '#8a94a6');
  const grid = cssVar('--chart-grid', 'rgba(128,128,128,0.15)');
  const yRange: uPlot.Scale.Range =
    unit === 'percent'
      ? [0, 100]
      : (_u, _min, max) => [0, Math.max(unit === 'rate' || unit === 'bytes' ? 1024 : 1, max * 1.1)];
  const series: uPlot.Series[] = [{}];
  for (let column = 1; column < view.columns.length; column++) {
    const line = view.lines.findIndex((l) => l.column === column);
    const drawn = view.lines[line];
    series.push(
      drawn
        ? { label: drawn.label, stroke: colorOf(line), width: 1.5 }
        : { label: `band ${column}`, stroke: 'transparent', width: 0, points: { show: false } },
    );
  }

  const showTooltip = (u: uPlot) => {
    const idx = u.cursor.idx;
    const { view: current, unit: currentUnit } = latest.current;
    const x = idx === null || idx === undefined ? undefined : current.columns[0][idx];
    if (x === undefined || u.cursor.left === undefined || u.cursor.left < 0) {
      tooltip.hidden = true;
      return;
    }
    tooltip.replaceChildren();
    const time = document.createElement('div');
    time.className = 'chart-tooltip-time';
    time.textContent = formatDateTime(x * 1000);
    tooltip.append(time);
    current.lines.forEach((l, i) => {
      const row = document.createElement('div');
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = colorOf(i);
      const value = document.createElement('strong');
      value.textContent = formatValue(currentUnit, current.columns[l.column]?.[idx ?? 0]);
      row.append(swatch, `${l.label} `, value);
      tooltip.append(row);
    });
    tooltip.hidden = false;
    const left = u.cursor.left;
    const flip = left > u.over.clientWidth / 2;
    tooltip.style.left = flip ? '' : `${left + 12}px`;
    tooltip.style.right = flip ? `${u.over.clientWidth - left + 12}px` : '';
  };

  const options: uPlot.Options = {
    width,
    height: HEIGHT,
    legend: { show: false },
    cursor: {
      sync: { key: syncKey, setSeries: false },
      drag: { x: true, y: false, setScale: false },
      bind: {
        // Double-click resets the zoom (uPlot's own reset would fit the data, not the range).
        dblclick: () => () => {
          latest.current.onZoom(null);
          return null;
        },
      },
    },
    scales: { x: { time: true }, y: { range: yRange } },
    axes: [
      { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } },
      {
        stroke: axis,
        grid: { stroke: grid, width: 1 },
        ticks: { stroke: grid, width: 1 },
        size: unit === 'rate' || unit === 'bytes' ? 76 : 50,
        incrs: tickIncrements(unit),
        values: (_u, values) => {
          const step = values.length > 1 ? Math.abs((values[1] ?? 0) - (values[0] ?? 0)) : 1;
          const labels = values.map((v) => formatTick(unit, v, step));
          // The axis is drawn on canvas: screen readers get the scale as text.
          ticks.textContent = `Scale: ${labels.join(', ')}`;
          return labels;
        },
      },
    ],
    series,
    bands: view.bands.map((band) => ({
      series: [band.upper, band.lower],
      fill: withAlpha(colorOf(band.line), 0.18),
    })),
    hooks: {
      setCursor: [showTooltip],
      setSelect: [
        (u) => {
          const { left, width: w } = u.select;
          if (w >= MIN_ZOOM_PX) {
            latest.current.onZoom({
              from: u.posToVal(left, 'x') * 1000,
              to: u.posToVal(left + w, 'x') * 1000,
            });
          }
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
        },
      ],
    },
  };
  return options;
}

/** A chart that follows `view`; uPlot is rebuilt only when the set of lines changes. */
export function UPlotChart(props: UPlotChartProps) {
  const { id, title, unit, view, timeWindow, onZoom, controls, note } = props;
  const holder = useRef<HTMLDivElement>(null);
  const tooltipRef = useRef<HTMLDivElement>(null);
  const ticksRef = useRef<HTMLParagraphElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef<Latest>({ view, window: timeWindow, unit, onZoom });
  const propsRef = useRef(props);
  useEffect(() => {
    latest.current = { view, window: timeWindow, unit, onZoom };
    propsRef.current = props;
  });
  const layoutKey = `${id}:${view.columns.length}:${view.lines.map((l) => l.label).join('|')}:${view.bands.length}`;

  useEffect(() => {
    const element = holder.current;
    const tooltip = tooltipRef.current;
    const ticks = ticksRef.current;
    if (!element || !tooltip || !ticks) return;
    const u = new uPlot(
      buildOptions(propsRef.current, element.clientWidth || 300, latest, tooltip, ticks),
      latest.current.view.columns,
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
    u.setData(view.columns);
    u.setScale('x', { min: timeWindow.from / 1000, max: timeWindow.to / 1000 });
  }, [view, timeWindow]);

  const lastIndex = view.columns[0].length - 1;
  return (
    <figure className="chart card" data-testid={`chart-${id}`} data-points={view.columns[0].length}>
      <figcaption className="chart-head">
        <h3>{title}</h3>
        {controls}
        <ul className="legend">
          {view.lines.map((line, i) => (
            <li key={line.label}>
              <span className="swatch" style={{ background: colorOf(i) }} aria-hidden="true" />
              {line.label}{' '}
              <strong>
                {formatValue(unit, lastIndex >= 0 ? view.columns[line.column]?.[lastIndex] : null)}
              </strong>
            </li>
          ))}
        </ul>
      </figcaption>
      <div
        className="chart-canvas"
        role="img"
        aria-label={`${title} chart; drag to zoom, double-click to reset`}
      >
        <div ref={holder} />
        <div ref={tooltipRef} className="chart-tooltip" data-testid="chart-tooltip" hidden />
      </div>
      <p ref={ticksRef} className="visually-hidden" data-testid="chart-y-ticks" />
      {note ? <p className="muted small chart-note">{note}</p> : null}
    </figure>
  );
}
