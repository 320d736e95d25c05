/** @module chart-specs — the time ranges and the charts of the metrics tab. */
import type { MetricSeries } from '@hostwire/protocol';
import { formatPercent, formatRate } from '../../util/format.js';

/** A range button: its span, and whether live samples continue the history. */
export interface RangeSpec {
  id: string;
  label: string;
  ms: number;
  live: boolean;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export const RANGES: readonly RangeSpec[] = [
  { id: '15m', label: '15 m', ms: 15 * MINUTE, live: true },
  { id: '1h', label: '1 h', ms: HOUR, live: true },
  { id: '6h', label: '6 h', ms: 6 * HOUR, live: false },
  { id: '24h', label: '24 h', ms: 24 * HOUR, live: false },
  { id: '7d', label: '7 d', ms: 7 * 24 * HOUR, live: false },
  { id: '30d', label: '30 d', ms: 30 * 24 * HOUR, live: false },
];

/** How a chart's y values are written. */
export type ChartUnit = 'percent' | 'rate' | 'number';

/** One chart: the series it draws and how they are labelled. */
export interface ChartSpec {
  id: 'cpu' | 'memory' | 'disk' | 'diskio' | 'network' | 'load';
  title: string;
  keys: readonly MetricSeries[];
  labels: readonly string[];
  unit: ChartUnit;
}

export const CHARTS: readonly ChartSpec[] = [
  { id: 'cpu', title: 'CPU', keys: ['cpu'], labels: ['CPU'], unit: 'percent' },
  { id: 'memory', title: 'Memory', keys: ['memory', 'swap'], labels: ['Memory', 'Swap'], unit: 'percent' },
  { id: 'disk', title: 'Disk usage', keys: ['disk'], labels: ['Fullest filesystem'], unit: 'percent' },
  {
    id: 'diskio',
    title: 'Disk I/O',
    keys: ['diskRead', 'diskWrite'],
    labels: ['Read', 'Write'],
    unit: 'rate',
  },
  { id: 'network', title: 'Network', keys: ['netRx', 'netTx'], labels: ['Received', 'Sent'], unit: 'rate' },
  {
    id: 'load',
    title: 'Load average',
    keys: ['load1', 'load5', 'load15'],
    labels: ['1 min', '5 min', '15 min'],
    unit: 'number',
  },
];

/** Line colours, by position within a chart. */
export const SERIES_COLORS = ['#4f9cf9', '#f5a524', '#3fb68b'] as const;

/** A colour from SERIES_COLORS with an alpha channel, for band fills. */
export function withAlpha(hex: string, alpha: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

/** Writes a y value in the chart's unit. */
export function formatValue(unit: ChartUnit, value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  if (unit === 'percent') return formatPercent(value);
  if (unit === 'rate') return formatRate(value);
  return value.toFixed(2);
}
