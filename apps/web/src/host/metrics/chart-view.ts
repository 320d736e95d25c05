/**
 * @module chart-view — what a chart draws: aligned columns, labelled lines and bands. Built from history
 * (scalar series, with min/max bands for rollups) or from live samples broken down per core, filesystem,
 * disk or interface. Also the round tick steps of each unit.
 */
import type { MetricsSample } from '@hostwire/protocol';
import type { ChartData } from './chart-data.js';
import type { ChartSpec, ChartUnit } from './chart-specs.js';

/** One drawn line: its column (1-based, 0 is time) and label. */
export interface ChartLine {
  column: number;
  label: string;
}

/** A chart's input: `columns[0]` is time in seconds; bands fill between two columns in a line's colour. */
export interface ChartView {
  columns: [number[], ...(number | null)[][]];
  lines: ChartLine[];
  /** Columns that are drawn only as a band's edge. */
  hidden: number[];
  bands: { upper: number; lower: number; line: number }[];
}

/** Per-entity series a chart can switch to (from live samples only). */
export type Breakdown = 'cores' | 'filesystems' | 'devices' | 'interfaces';

export const BREAKDOWN_OF: Partial<Record<ChartSpec['id'], { kind: Breakdown; label: string }>> = {
  cpu: { kind: 'cores', label: 'Per core' },
  disk: { kind: 'filesystems', label: 'Per filesystem' },
  diskio: { kind: 'devices', label: 'Per disk' },
  network: { kind: 'interfaces', label: 'Per interface' },
};

/** More lines than this make a chart unreadable: the first ones are drawn, the rest named as left out. */
export const MAX_BREAKDOWN_LINES = 16;

/** History chart data (keys of `spec`) as a view. */
export function viewOfHistory(data: ChartData, spec: ChartSpec): ChartView {
  const lines: ChartLine[] = [];
  const hidden: number[] = [];
  data.series.forEach((ref, i) => {
    if (ref.role === 'avg')
      lines.push({ column: i + 1, label: spec.labels[spec.keys.indexOf(ref.key)] ?? ref.key });
    else hidden.push(i + 1);
  });
  const bands = data.bands.map((band) => {
    const key = data.series[band.upper - 1]?.key;
    const line = Math.max(
      0,
      lines.findIndex((l) => data.series[l.column - 1]?.key === key),
    );
    return { upper: band.upper, lower: band.lower, line };
  });
  return { columns: data.columns, lines, hidden, bands };
}

function percent(part: number, whole: number): number {
  return whole > 0 ? Math.min(100, (part / whole) * 100) : 0;
}

/** The named values of one sample for a breakdown. */
function entitiesOf(sample: MetricsSample, kind: Breakdown): [string, number][] {
  switch (kind) {
    case 'cores':
      return sample.cpu.cores.map((v, i) => [`core ${i}`, v]);
    case 'filesystems':
      return sample.filesystems.map((fs) => [fs.mount, percent(fs.used, fs.total)]);
    case 'devices':
      return sample.disk.devices.flatMap((d): [string, number][] => [
        [`${d.name} read`, d.readBps],
        [`${d.name} write`, d.writeBps],
      ]);
    case 'interfaces':
      return sample.network.interfaces.flatMap((n): [string, number][] => [
        [`${n.name} rx`, n.rxBps],
        [`${n.name} tx`, n.txBps],
      ]);
  }
}

/**
 * Live samples (oldest first) broken down by `kind`: one line per entity, in order of first appearance;
 * an entity missing from a sample is a gap. `omitted` counts entities beyond MAX_BREAKDOWN_LINES.
 */
export function breakdownView(
  samples: readonly MetricsSample[],
  kind: Breakdown,
): { view: ChartView; omitted: number } {
  const names: string[] = [];
  const rows = samples.map((sample) => {
    const row = new Map(entitiesOf(sample, kind));
    for (const name of row.keys()) if (!names.includes(name)) names.push(name);
    return row;
  });
  const shown = names.slice(0, MAX_BREAKDOWN_LINES);
  const columns: ChartView['columns'] = [
    samples.map((s) => s.ts / 1000),
    ...shown.map((name) => rows.map((row) => row.get(name) ?? null)),
  ];
  return {
    view: { columns, lines: shown.map((label, i) => ({ column: i + 1, label })), hidden: [], bands: [] },
    omitted: names.length - shown.length,
  };
}

const KIB = 1024;
const ROUND = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500];

/** Round tick steps: 1-2-5 of 1024 powers for rates, whole tens for percent, 1-2-5 decades otherwise. */
export function tickIncrements(unit: ChartUnit): number[] {
  if (unit === 'percent') return [5, 10, 20, 25, 50];
  if (unit === 'rate' || unit === 'bytes')
    return [0, 1, 2, 3, 4, 5].flatMap((power) => ROUND.map((n) => n * KIB ** power));
  return [-3, -2, -1, 0, 1, 2, 3, 4, 5].flatMap((power) => [1, 2, 5].map((n) => n * 10 ** power));
}
