// Tests of the history → uPlot transform: columns, min/max bands for rollups, live appends and trimming.
import {
  METRIC_SERIES,
  type MetricsHistory,
  type SeriesColumns,
  type SeriesValues,
} from '@hostwire/protocol';
import { describe, expect, it } from 'vitest';
import { appendSample, emptyChartData, historyToChartData } from './chart-data.js';

const gaps: SeriesColumns = {
  avg: [null, null, null],
  min: [null, null, null],
  max: [null, null, null],
  last: [null, null, null],
};

function history(resolution: MetricsHistory['resolution']): MetricsHistory {
  const all = Object.fromEntries(METRIC_SERIES.map((key) => [key, gaps])) as MetricsHistory['series'];
  return {
    hostId: 'h1',
    resolution,
    stepMs: resolution === 'raw' ? 0 : 60_000,
    from: 0,
    to: 180_000,
    t: [60_000, 120_000, 180_000],
    series: {
      ...all,
      cpu: { avg: [10, 20, null], min: [5, 15, null], max: [30, 40, null], last: [11, 21, null] },
      swap: { avg: [1, 2, 3], min: [1, 2, 3], max: [1, 2, 3], last: [1, 2, 3] },
    },
  };
}

const values = (cpu: number): SeriesValues => ({
  cpu,
  memory: 50,
  swap: 4,
  disk: 70,
  diskRead: 0,
  diskWrite: 0,
  netRx: 0,
  netTx: 0,
  load1: 1,
  load5: 1,
  load15: 1,
});

describe('historyToChartData', () => {
  it('draws raw history as one line per series in seconds, without bands', () => {
    const data = historyToChartData(history('raw'), ['cpu', 'swap']);
    expect(data.columns).toEqual([
      [60, 120, 180],
      [10, 20, null],
      [1, 2, 3],
    ]);
    expect(data.series).toEqual([
      { key: 'cpu', role: 'avg' },
      { key: 'swap', role: 'avg' },
    ]);
    expect(data.bands).toEqual([]);
  });

  it('adds max and min columns and a band between them for rollups', () => {
    const data = historyToChartData(history('1m'), ['cpu', 'swap']);
    expect(data.series.map((s) => `${s.key}.${s.role}`)).toEqual([
      'cpu.avg',
      'swap.avg',
      'cpu.max',
      'cpu.min',
      'swap.max',
      'swap.min',
    ]);
    expect(data.columns[3]).toEqual([30, 40, null]);
    expect(data.columns[4]).toEqual([5, 15, null]);
    expect(data.bands).toEqual([
      { upper: 3, lower: 4 },
      { upper: 5, lower: 6 },
    ]);
  });

  it('fills a series the response lacks with gaps', () => {
    const partial = history('raw');
    const { load1: _dropped, ...rest } = partial.series;
    const data = historyToChartData({ ...partial, series: rest as MetricsHistory['series'] }, ['load1']);
    expect(data.columns[1]).toEqual([null, null, null]);
  });
});

describe('appendSample', () => {
  it('appends a newer sample to every column, band columns included', () => {
    const data = historyToChartData(history('1m'), ['cpu']);
    const next = appendSample(data, 240_000, values(55), 0);
    expect(next.columns).toEqual([
      [60, 120, 180, 240],
      [10, 20, null, 55],
      [30, 40, null, 55],
      [5, 15, null, 55],
    ]);
    expect(data.columns[0]).toHaveLength(3);
  });

  it('drops points that fell out of the window', () => {
    const data = historyToChartData(history('raw'), ['cpu']);
    const next = appendSample(data, 240_000, values(1), 150_000);
    expect(next.columns).toEqual([
      [180, 240],
      [null, 1],
    ]);
  });

  it('ignores a sample that is not newer than the last point', () => {
    const data = historyToChartData(history('raw'), ['cpu']);
    expect(appendSample(data, 180_000, values(99), 0).columns).toEqual(data.columns);
  });

  it('starts an empty chart from live samples alone', () => {
    const next = appendSample(emptyChartData(['memory', 'swap']), 1_000, values(3), 0);
    expect(next.columns).toEqual([[1], [50], [4]]);
  });
});
