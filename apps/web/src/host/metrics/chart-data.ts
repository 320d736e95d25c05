/** @module chart-data — MetricsHistory (columnar) and live samples to uPlot's aligned columns, with bands. */
import type { MetricSeries, MetricsHistory, SeriesValues } from '@hostwire/protocol';

/** Which column a uPlot series draws. */
export interface ChartSeriesRef {
  key: MetricSeries;
  role: 'avg' | 'min' | 'max';
}

/** A uPlot band between two series indexes (0 is the x column). */
export interface ChartBand {
  upper: number;
  lower: number;
}

/** uPlot input: `columns[0]` is time in seconds, `columns[i]` belongs to `series[i - 1]`. */
export interface ChartData {
  columns: [number[], ...(number | null)[][]];
  series: ChartSeriesRef[];
  bands: ChartBand[];
}

/** The series refs (and bands) for `keys`: an avg line each, plus min and max when banded. */
export function chartLayout(
  keys: readonly MetricSeries[],
  banded: boolean,
): Pick<ChartData, 'series' | 'bands'> {
  const series: ChartSeriesRef[] = keys.map((key) => ({ key, role: 'avg' }));
  const bands: ChartBand[] = [];
  if (banded) {
    for (const key of keys) {
      series.push({ key, role: 'max' }, { key, role: 'min' });
      bands.push({ upper: series.length - 1, lower: series.length });
    }
  }
  return { series, bands };
}

/** An empty chart for `keys`. */
export function emptyChartData(keys: readonly MetricSeries[], banded = false): ChartData {
  const layout = chartLayout(keys, banded);
  return { columns: [[], ...layout.series.map(() => [])], ...layout };
}

/**
 * History to chart columns. Rollups (`1m`, `1h`) get a min/max band per series around the avg line;
 * raw history has min = max = avg and gets no band. A series missing from the response is all gaps.
 */
export function historyToChartData(history: MetricsHistory, keys: readonly MetricSeries[]): ChartData {
  const layout = chartLayout(keys, history.resolution !== 'raw');
  const xs = history.t.map((t) => t / 1000);
  // The schema lists every series, but an older server may omit some: treat them as gaps.
  const series: Partial<MetricsHistory['series']> = history.series;
  const columns = layout.series.map(({ key, role }) => {
    const column = series[key]?.[role];
    return xs.map((_, i) => column?.[i] ?? null);
  });
  return { columns: [xs, ...columns], ...layout };
}

/**
 * Appends a live sample and drops points before `windowStartMs`. Returns new arrays (the input is not
 * changed); a sample not newer than the last point is ignored. Band columns take the sample's value.
 */
export function appendSample(
  data: ChartData,
  ts: number,
  values: SeriesValues,
  windowStartMs: number,
): ChartData {
  const [xs, ...rest] = data.columns;
  const x = ts / 1000;
  const last = xs[xs.length - 1];
  const windowStart = windowStartMs / 1000;
  let from = 0;
  while (from < xs.length && (xs[from] ?? 0) < windowStart) from++;
  const nextXs = xs.slice(from);
  const append = last === undefined || x > last;
  if (append) nextXs.push(x);
  const nextColumns = rest.map((column, i) => {
    const next = column.slice(from);
    const ref = data.series[i];
    if (append && ref) next.push(values[ref.key]);
    return next;
  });
  return { ...data, columns: [nextXs, ...nextColumns] };
}
