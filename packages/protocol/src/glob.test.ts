import { describe, expect, it } from 'vitest';
import { compileGlob, type GlobMeter } from './glob.js';

/** The textbook dynamic-programming matcher (quadratic, obviously right): the reference for the fast one. */
function reference(pattern: string, text: string): boolean {
  let row = Array.from({ length: text.length + 1 }, (_, j) => j === 0);
  for (const p of pattern) {
    const next = [p === '*' && row[0] === true];
    for (let j = 1; j <= text.length; j += 1)
      next[j] =
        p === '*'
          ? row[j] === true || next[j - 1] === true
          : row[j - 1] === true && (p === '?' || p === text[j - 1]);
    row = next;
  }
  return row[text.length] === true;
}

/** A small seeded generator, so a failure is reproducible. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
}

const steps = (pattern: string, text: string): { result: boolean; steps: number } => {
  const meter: GlobMeter = { steps: 0 };
  return { result: compileGlob(pattern).matches(text, meter), steps: meter.steps };
};

describe('compileGlob', () => {
  it.each([
    ['web', 'web', true],
    ['web', 'web-1', false],
    ['web*', 'web-1', true],
    ['*-db', 'orders-db', true],
    ['*-db', 'orders-db-1', false],
    ['w?b', 'wab', true],
    ['w?b', 'wb', false],
    ['*', '', true],
    ['**', 'x', true],
    ['a*b*c', 'aXXbYYc', true],
    ['a*b*c', 'aXXbYY', false],
    ['a*a', 'a', false],
    ['*?*', '', false],
    ['*ab?d*', 'xxabcabzdyy', true],
  ])('%s matches %s: %s', (pattern, text, expected) => {
    expect(compileGlob(pattern).matches(text)).toBe(expected);
  });

  it('agrees with the reference matcher on random patterns and names', () => {
    const next = random(20);
    const pick = (chars: string, n: number) =>
      Array.from({ length: n }, () => chars[Math.floor(next() * chars.length)]).join('');
    let matched = 0;
    for (let i = 0; i < 4000; i += 1) {
      // One in four has a segment of 33 to 100 characters, so the search spans several 32-bit words.
      const wide = i % 4 === 0;
      const pattern = wide
        ? `${pick('a*', 2)}${pick('aaaaaaab?', 33 + Math.floor(next() * 68))}${pick('a*', 2)}`
        : pick('ab?*', 1 + Math.floor(next() * 10));
      const text = wide
        ? pick('aaaaaaaaaab', 30 + Math.floor(next() * 120))
        : pick('ab', Math.floor(next() * 14));
      const expected = reference(pattern, text);
      if (expected) matched += 1;
      expect(compileGlob(pattern).matches(text), `${pattern} ~ ${text}`).toBe(expected);
    }
    // Both outcomes were exercised.
    expect(matched).toBeGreaterThan(300);
    expect(matched).toBeLessThan(3700);
  });

  it('examines each character of the name at most once on the patterns that made the old matcher backtrack', () => {
    const a255 = 'a'.repeat(255);
    // [pattern, name, matches, 32-bit words of its longest middle segment]
    const cases: [string, string, boolean, number][] = [
      // The old matcher retried the last segment at every position: 16 456 steps for this one.
      [`*${'a'.repeat(120)}b`, a255, false, 1],
      [`a*${'a'.repeat(120)}b*a`, a255, false, 4],
      [`a*${'a?'.repeat(60)}b*a`, a255, false, 4],
      [`a*${'a'.repeat(20)}b*a`, a255, false, 1],
      ['*a*a*a*a*a*a*a*b', 'a'.repeat(200), false, 1],
      [`${'a*'.repeat(50)}a`, 'a'.repeat(200), true, 1],
      [`${'*a'.repeat(50)}*`, 'a'.repeat(200), true, 1],
      [`${'*a'.repeat(50)}*b`, 'a'.repeat(200), false, 1],
      [`*${'a'.repeat(70)}*b*`, `${'a'.repeat(69)}b`.repeat(3) + 'a'.repeat(40), false, 3],
    ];
    for (const [pattern, text, expected, words] of cases) {
      const run = steps(pattern, text);
      expect(run.result, pattern).toBe(expected);
      expect(run.result).toBe(reference(pattern, text));
      expect(run.steps, pattern).toBeGreaterThan(0);
      expect(run.steps, pattern).toBeLessThanOrEqual(text.length * words);
    }
  });

  it('matches characters beyond ASCII by themselves or by ?', () => {
    expect(compileGlob('a?c').matches('aéc')).toBe(true);
    expect(compileGlob('*é*').matches('aéc')).toBe(true);
    expect(compileGlob('*é*').matches('aèc')).toBe(false);
    expect(compileGlob('*?c*').matches('xèc')).toBe(true);
  });
});
