/** @module bench/lib/stats — percentiles, number formatting and the compact text tables the bench prints. */

/** Latency recorder: pushes milliseconds, reports count and p50/p95/p99/max. */
export class Latencies {
  constructor() {
    this.values = [];
  }

  push(ms) {
    this.values.push(ms);
  }

  summary() {
    const sorted = Float64Array.from(this.values).sort();
    const at = (q) =>
      sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    return {
      count: sorted.length,
      p50: at(0.5),
      p95: at(0.95),
      p99: at(0.99),
      max: sorted.length ? sorted[sorted.length - 1] : NaN,
    };
  }
}

/** A number for a table cell: '-' for missing, thousands grouped, `digits` decimals. */
export function fmt(value, digits = 0) {
  if (value === undefined || value === null || Number.isNaN(value)) return '-';
  if (typeof value !== 'number') return String(value);
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function mib(bytes) {
  return bytes === undefined || Number.isNaN(bytes) ? '-' : `${fmt(bytes / 1048576, 1)} MiB`;
}

/** `a / b` as "0.42x", or '-' when either side is missing or b is 0. */
export function ratio(a, b, digits = 2) {
  if (typeof a !== 'number' || typeof b !== 'number' || !Number.isFinite(a) || !Number.isFinite(b) || b === 0)
    return '-';
  return `${(a / b).toFixed(digits)}x`;
}

/**
 * Renders rows (arrays of cells) under `header` as an aligned text table: first column left-aligned,
 * the others right-aligned.
 */
export function table(header, rows) {
  const all = [header, ...rows].map((row) => row.map((cell) => String(cell)));
  const widths = header.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  const line = (row) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(all[0]), rule, ...all.slice(1).map(line)].join('\n');
}
