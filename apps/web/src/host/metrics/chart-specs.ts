/** @module chart-specs — the time ranges and the charts of the metrics tab. */
import type { MetricSeries } from '@hostwire/protocol';
import { formatBytes, formatPercent, formatRate } from '../../util/format.js';

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
export type ChartUnit = 'percent' | 'rate' | 'bytes' | 'number';

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

/** Line colours, by position within a chart (a breakdown may use them all). */
export const SERIES_COLORS = [
  '#4f9cf9',
  '#f5a524',
  '#3fb68b',
  '#e0607e',
  '#a78bfa',
  '#22c3d6',
  '#d4a72c',
  '#8bd346',
] as const;

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
  if (unit === 'bytes') return formatBytes(value);
  return value.toFixed(2);
}

/** A y-axis tick: round steps print without needless decimals (`5 MiB/s`, `25%`, `0.5`). */
export function formatTick(unit: ChartUnit, value: number, step: number): string {
  if (unit === 'percent') return `${Math.round(value)}%`;
  if (unit === 'bytes') return formatTick('rate', value, step).replace(/\/s$/, '');
  if (unit === 'rate') {
    if (value <= 0) return '0 B/s';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
    const exponent = Math.min(units.length - 1, Math.floor(Math.log(value) / Math.log(1024)));
    const scaled = value / 1024 ** exponent;
    if (Number.isInteger(Math.round(scaled * 1000) / 1000))
      return `${scaled.toFixed(0)} ${units[exponent] ?? 'B'}/s`;
    // A decimal step on a binary unit (1500 B is 1.46 KiB): write the tick in the step's unit, exactly.
    const stepExponent = Math.max(0, Math.min(exponent, Math.floor(Math.log(step) / Math.log(1024))));
    const exact = value / 1024 ** stepExponent;
    const text = Number.isInteger(Math.round(exact * 1000) / 1000) ? exact.toFixed(0) : exact.toFixed(1);
    return `${text} ${units[stepExponent] ?? 'B'}/s`;
  }
  const decimals = step > 0 ? Math.max(0, Math.min(3, -Math.floor(Math.log10(step)))) : 0;
  return value.toFixed(decimals);
}
