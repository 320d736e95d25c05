// The exposition writer: escaping, special values, families grouped with HELP/TYPE, and lines that cross
// chunk boundaries (non-ASCII labels included) come out whole.
import { describe, expect, it } from 'vitest';
import { ChunkPool, escapeLabelValue, ExpositionWriter, formatValue, LabelSet } from './exposition.js';

describe('exposition writer', () => {
  it('escapes backslash, double quote and line feed in label values, and nothing else', () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    expect(escapeLabelValue('plain / value é')).toBe('plain / value é');
    expect(LabelSet.of({ host: 'x"y', mountpoint: '/' }).text).toBe('host="x\\"y",mountpoint="/"');
  });

  it('formats NaN and infinities as the format wants them', () => {
    expect([NaN, Infinity, -Infinity, 1.5, 1e21, -0.25].map(formatValue)).toEqual([
      'NaN',
      '+Inf',
      '-Inf',
      '1.5',
      '1e+21',
      '-0.25',
    ]);
  });

  it('refuses invalid metric and label names', () => {
    expect(() => new ExpositionWriter().family('9bad', 'x')).toThrow();
    expect(() => LabelSet.of({ 'bad-name': 'x' })).toThrow();
    expect(() => LabelSet.of({ __reserved: 'x' })).toThrow();
  });

  it('groups each family under its HELP and TYPE, and keeps long output whole across chunks', () => {
    const w = new ExpositionWriter();
    const a = w.family('a_total', 'Counts\nthings \\ here', 'counter');
    const b = w.family('b', 'B');
    const lines: string[] = [];
    for (let i = 0; i < 40_000; i++) {
      const labels = LabelSet.of({ host: `hôte-${i}` });
      a.add(labels, i);
      lines.push(`a_total{host="hôte-${i}"} ${i}`);
    }
    b.add(LabelSet.empty, 0.5);
    expect(w.chunks().length).toBeGreaterThan(2);
    expect(w.text()).toBe(
      `# HELP a_total Counts\\nthings \\\\ here\n# TYPE a_total counter\n${lines.join('\n')}\n# HELP b B\n# TYPE b gauge\nb 0.5\n`,
    );
  });

  it('reuses the chunks given back to its pool, and writes each exposition whole into them', () => {
    const pool = new ChunkPool();
    const write = (offset: number) => {
      const w = new ExpositionWriter(pool);
      const f = w.family('x', 'X');
      for (let i = 0; i < 30_000; i++) f.add(LabelSet.of({ host: `h${i}` }), i + offset);
      return w;
    };
    const first = write(0);
    const expected = first.text();
    const taken = first.taken();
    expect(taken.length).toBeGreaterThan(0);
    pool.give(taken);
    const second = write(0);
    const reused = second.taken();
    expect(taken.every((chunk) => reused.includes(chunk))).toBe(true);
    expect(second.text()).toBe(expected);
    pool.give(second.taken());
    expect(write(1).text()).toContain('x{host="h29999"} 30000\n');
  });
});
